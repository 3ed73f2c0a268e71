"""parbench's task farm: T independent tasks of uneven cost, run by static and dynamic schedulers.

Usage::

    from farm import get_scheduler, task_costs
    if __name__ == "__main__":  # spawned workers re-import the main module
        with get_scheduler("pool-imap", workers=2) as s:
            timeline = s.run(task_costs("heavy-tailed", 64))   # 64 tasks, 1 ms mean
        print(timeline.makespan, timeline.efficiency)

See ``farm.base`` for the contract and the Timeline, ``farm.tasks`` for the costs
and the calibrated loop, ``farm.registry`` for the schedulers, ``farm.measure``
for what the asv benchmarks and ``python -m farm`` run.
"""

from .base import Scheduler, SchedulerClosed, Timeline
from .registry import KINDS, SCHEDULERS, get_scheduler, scheduler_class
from .tasks import DISTRIBUTIONS, EMPTY, task_costs

__all__ = [
    "DISTRIBUTIONS",
    "EMPTY",
    "KINDS",
    "SCHEDULERS",
    "Scheduler",
    "SchedulerClosed",
    "Timeline",
    "get_scheduler",
    "scheduler_class",
    "task_costs",
]
