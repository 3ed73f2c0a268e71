"""The contract of every scheduler of the farm, and the timeline a farm run returns.

A scheduler is an object with a lifecycle, like a kernel backend::

    with get_scheduler("pool-imap", workers=2) as s:   # workers start (and warm) here
        timeline = s.run(task_costs("heavy-tailed", 64))
    # leaving the block stops every worker

``run(costs)`` runs one farm: task i does ``costs[i]`` seconds of CPU work
(``farm.tasks``); the call returns when every task is done, with a ``Timeline``
of when each task ran on which worker.  Errors: ``SchedulerClosed`` for a run on
a closed scheduler; ``kernels.base.BackendUnavailable`` from ``open`` when the
scheduler cannot run here; ``kernels.base.WorkerError`` when a worker dies during
a run; KeyboardInterrupt (Ctrl-C) stops the run, and ``close`` then stops every
worker (also the busy ones).
"""

import abc
import time
from dataclasses import dataclass

import numpy as np

from kernels.base import WorkerError
from kernels.validate import check_workers

from . import tasks


class SchedulerClosed(RuntimeError):
    """A farm was run on a scheduler that is not open."""


@dataclass
class Timeline:
    """One farm run: every task's worker, start and end, and the makespan.

    ``worker_pids``: the pid of each worker of the scheduler (tuple, W entries).
    Per task i, arrays of shape (T,) sorted by task index: ``worker`` (int64,
    position in worker_pids), ``start`` and ``end`` (float64, seconds since the
    driver dispatched the farm, ``time.perf_counter``), ``cost`` (float64, the
    seconds of work asked for).  ``makespan``: seconds from dispatch until the
    driver held every result.
    """

    scheduler: str
    kind: str
    worker_pids: tuple
    worker: np.ndarray
    start: np.ndarray
    end: np.ndarray
    cost: np.ndarray
    makespan: float

    @property
    def workers(self):
        return len(self.worker_pids)

    @property
    def busy(self):
        """Seconds the workers spent inside tasks, summed over tasks (the loop's own time)."""
        return float((self.end - self.start).sum())

    @property
    def efficiency(self):
        """busy / (workers x makespan): the share of the workers' time spent in tasks.

        1 is a perfectly packed farm with no scheduling cost; NaN for a makespan of 0.
        """
        capacity = self.workers * self.makespan
        return self.busy / capacity if capacity > 0 else float("nan")

    def to_dict(self):
        """A JSON-able dict (lists of numbers); ``from_dict`` reads it back."""
        return {
            "scheduler": self.scheduler,
            "kind": self.kind,
            "worker_pids": list(self.worker_pids),
            "worker": self.worker.tolist(),
            "start": self.start.tolist(),
            "end": self.end.tolist(),
            "cost": self.cost.tolist(),
            "makespan": self.makespan,
        }

    @classmethod
    def from_dict(cls, d):
        return cls(
            d["scheduler"],
            d["kind"],
            tuple(d["worker_pids"]),
            np.asarray(d["worker"], np.int64),
            np.asarray(d["start"], np.float64),
            np.asarray(d["end"], np.float64),
            np.asarray(d["cost"], np.float64),
            float(d["makespan"]),
        )


def make_timeline(scheduler, records, costs, t0, t1):
    """The Timeline of ``records`` [(index, pid, start, end), ...] of a farm of ``costs``.

    ``t0``, ``t1``: the driver's perf_counter at dispatch and when every result
    was in.  Raises WorkerError unless every task index 0..T-1 appears exactly
    once and every pid is one of the scheduler's workers.
    """
    count = len(costs)
    pids = tuple(scheduler.worker_pids)
    where = {pid: i for i, pid in enumerate(pids)}
    rows = sorted(records)
    if [int(r[0]) for r in rows] != list(range(count)):
        raise WorkerError(
            f"{scheduler.name}: {len(rows)} task records for {count} tasks (lost or repeated)"
        )
    strangers = sorted({int(r[1]) for r in rows} - set(where))
    if strangers:
        raise WorkerError(
            f"{scheduler.name}: tasks ran on pids {strangers}, not its workers {pids}"
        )
    return Timeline(
        scheduler.name,
        scheduler.kind,
        pids,
        np.array([where[int(r[1])] for r in rows], np.int64),
        np.array([r[2] - t0 for r in rows], np.float64).reshape(count),
        np.array([r[3] - t0 for r in rows], np.float64).reshape(count),
        np.asarray(costs, np.float64).copy(),
        float(t1 - t0),
    )


class Scheduler(abc.ABC):
    """Base class of the schedulers: ``workers`` (int >= 1, None = all cores).

    Subclasses set ``name`` and ``kind`` ("static": tasks dealt to workers before
    the farm starts; "dynamic": each idle worker gets the next task) and implement
    ``_open`` (start and warm every worker), ``_close(broken)`` (stop them; broken:
    a run was interrupted or failed, so stop them at once), ``worker_pids`` and
    ``_run(items)`` (items: [(index, iterations)]; returns [(index, pid, start,
    end)] from ``farm.tasks.run_task``).
    """

    name = None
    kind = None

    def __init__(self, workers=None):
        self.workers = check_workers(workers)
        self._is_open = False
        self._broken = False

    def open(self):
        """Start and warm the workers; BackendUnavailable if this scheduler cannot run here."""
        if not self._is_open:
            tasks.calibrate()  # before any worker runs: the driver's core is quiet
            self._broken = False
            self._open()
            self._is_open = True
        return self

    def close(self):
        """Stop every worker (at once, killing them, after a failed or interrupted run)."""
        if self._is_open:
            self._is_open = False
            self._close(self._broken)

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def is_open(self):
        return self._is_open

    def describe(self):
        """Settings as str -> str (name, kind, workers, the loop's calibration)."""
        return {
            "scheduler": self.name,
            "kind": self.kind,
            "workers": str(self.workers),
            "spin_rate": f"{tasks.calibrate():.4g} iterations/s",
        }

    def _check_workers(self):
        """Raise WorkerError if a worker died since the last farm.

        Schedulers whose library would otherwise fail on a dead worker in its own
        way (a crash in MPI, a KeyError in ipyparallel) check before each farm;
        the pools replace dead workers themselves.
        """
        return None

    def run(self, costs):
        """Run a farm of ``len(costs)`` tasks of ``costs`` seconds each (1-D, >= 0); a Timeline.

        Raises SchedulerClosed, ValueError for bad costs, WorkerError if a worker
        died; after any exception (KeyboardInterrupt included) the scheduler is
        broken: ``close`` it.
        """
        if not self._is_open:
            raise SchedulerClosed(f"scheduler {self.name!r} is not open: use it in a with block")
        if self._broken:
            raise WorkerError(f"{self.name}: broken by an earlier error; close it")
        costs = np.asarray(costs, np.float64)
        if costs.ndim != 1 or not np.all(np.isfinite(costs)) or np.any(costs < 0):
            raise ValueError("costs must be a 1-D array of finite seconds >= 0")
        counts = tasks.iterations(costs, tasks.calibrate())
        items = [(i, int(c)) for i, c in enumerate(counts)]
        try:
            self._check_workers()
            t0 = time.perf_counter()
            records = self._run(items) if items else []
            t1 = time.perf_counter()
        except BaseException:
            self._broken = True
            raise
        return make_timeline(self, records, costs, t0, t1)

    @property
    @abc.abstractmethod
    def worker_pids(self):
        """The pids of the workers, in a fixed order (a tuple of int)."""

    @abc.abstractmethod
    def _open(self):
        """Start the workers and run ``farm.tasks.warm`` on each."""

    @abc.abstractmethod
    def _close(self, broken):
        """Stop every worker; ``broken``: do not wait for them."""

    @abc.abstractmethod
    def _run(self, items):
        """Run ``items`` [(index, iterations)]; return [(index, pid, start, end)]."""
