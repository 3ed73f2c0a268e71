"""What the asv benchmarks (``benchmarks/taskfarm.py``) and ``python -m farm`` measure.

``measure(plan)`` opens each scheduler once, runs every farm of the plan on it
``repeats`` times (the repeats interleaved, so a slower minute of a shared
machine hits every case alike; fewer, at least one, where another repeat would
end past ``budget_s`` seconds), closes it, and returns a JSON-able dict:

* ``farms``: "scheduler|distribution|T" -> {"makespan" (s), "efficiency",
  "busy" (s), "floor" (s: the makespan of a perfect farm of these costs,
  max(total work / W, longest task))}, of the repeat with the median makespan;
* ``overhead``: scheduler -> seconds per task of a farm of ``empty_T`` empty
  tasks: W x makespan / T, the worker-seconds each task costs the farm beyond its
  own work (the median repeat), so a farm of tasks of c seconds is at best
  c / (c + overhead) efficient;
* ``repeats``: scheduler -> how many repeats it ran;
* ``calibration``: scheduler -> median over every task it ran of (measured
  seconds / asked seconds), the loop's calibration as the farm saw it;
* ``timelines``: scheduler -> distribution -> ``Timeline.to_dict()`` at
  ``timeline_T`` (the median repeat), for the timeline figure;
* ``skips``: scheduler -> why it was not measured; ``settings``: scheduler ->
  ``describe()``; ``plan``: the plan; ``spin_rate``: iterations/s of the loop.
"""

import sys
import time

import numpy as np

from kernels.base import BackendUnavailable, WorkerError

from . import tasks
from .registry import SCHEDULERS, get_scheduler

#: the plans of the size sets (PARBENCH_SIZES): task counts, mean task cost (s), repeats
PLANS = {
    "default": {"T": [16, 64, 256], "mean_s": 1e-3, "repeats": 3, "empty_T": 64, "budget_s": 12},
    "quick": {"T": [8, 32], "mean_s": 5e-4, "repeats": 2, "empty_T": 32, "budget_s": 6},
}
#: the seed of every farm's costs
SEED = 0


def make_plan(size_set="default", workers=None, schedulers=None):
    """The plan of one measurement (a JSON-able dict); ValueError for an unknown size set."""
    if size_set not in PLANS:
        raise ValueError(f"unknown size set {size_set!r}; choose one of {', '.join(PLANS)}")
    plan = dict(PLANS[size_set], sizes=size_set, workers=workers)
    plan["schedulers"] = list(schedulers or SCHEDULERS)
    plan["distributions"] = list(tasks.DISTRIBUTIONS)
    plan["timeline_T"] = plan["T"][len(plan["T"]) // 2]
    return plan


def key(scheduler, distribution, count):
    """The ``farms`` key of one case."""
    return f"{scheduler}|{distribution}|{count}"


def _median_run(timelines):
    """The Timeline with the median makespan (the lower middle of an even count)."""
    ranked = sorted(timelines, key=lambda t: t.makespan)
    return ranked[(len(ranked) - 1) // 2]


def _run_cases(s, plan):
    """{(distribution, T): [Timeline per repeat]} of one open scheduler."""
    cases = [(d, n) for d in plan["distributions"] for n in plan["T"]]
    cases.append((tasks.EMPTY, plan["empty_T"]))
    runs = {case: [] for case in cases}
    t0 = time.monotonic()
    for done in range(plan["repeats"]):
        # a slow scheduler (ipyparallel's load-balanced view) gets fewer repeats, at least 1
        if done and (time.monotonic() - t0) * (done + 1) / done > plan["budget_s"]:
            break
        for d, n in cases:
            runs[(d, n)].append(s.run(tasks.task_costs(d, n, plan["mean_s"], SEED)))
    return runs


def _record(result, name, runs, plan):
    """Store one scheduler's runs in ``result`` (see the module docstring)."""
    ratios = []
    result["repeats"][name] = min(len(t) for t in runs.values())
    for (d, n), timelines in runs.items():
        best = _median_run(timelines)
        if d == tasks.EMPTY:
            result["overhead"][name] = best.workers * best.makespan / n if n else float("nan")
            continue
        result["farms"][key(name, d, n)] = {
            "makespan": best.makespan,
            "efficiency": best.efficiency,
            "busy": best.busy,
            "floor": max(best.cost.sum() / best.workers, best.cost.max(initial=0.0)),
        }
        if n == plan["timeline_T"]:
            result["timelines"].setdefault(name, {})[d] = best.to_dict()
        for t in timelines:
            asked = t.cost > 0
            ratios += ((t.end - t.start)[asked] / t.cost[asked]).tolist()
    result["calibration"][name] = float(np.median(ratios)) if ratios else float("nan")


def measure(plan, log=sys.stderr):
    """Run ``plan`` (``make_plan``); the result dict of the module docstring.

    A scheduler that cannot open here (BackendUnavailable) or whose worker dies
    (WorkerError) is recorded in ``skips`` with the reason; KeyboardInterrupt
    stops the measurement after closing the open scheduler.
    """
    result = {
        "plan": plan,
        "spin_rate": tasks.calibrate(),
        "farms": {},
        "overhead": {},
        "calibration": {},
        "repeats": {},
        "timelines": {},
        "skips": {},
        "settings": {},
    }
    for name in plan["schedulers"]:
        t0 = time.monotonic()
        try:
            s = get_scheduler(name, plan["workers"]).open()
        except BackendUnavailable as exc:
            result["skips"][name] = str(exc)
            print(f"parbench: farm {name} skipped: {exc}", file=log, flush=True)
            continue
        try:
            runs = _run_cases(s, plan)
            result["settings"][name] = s.describe()
        except WorkerError as exc:
            result["skips"][name] = f"WorkerError: {exc}"
            runs = None
        finally:
            s.close()
        if runs is not None:
            _record(result, name, runs, plan)
        print(
            f"parbench: farm {name} measured in {time.monotonic() - t0:.1f} s",
            file=log,
            flush=True,
        )
    return result


def summary_lines(result):
    """Text lines: per scheduler the overhead, calibration and heavy-tailed makespans."""
    plan = result["plan"]
    lines = [
        f"farm: {plan['sizes']} plan, mean task {plan['mean_s'] * 1e3:g} ms,"
        f" T = {plan['T']}, {plan['repeats']} repeats (median), seed {SEED}"
    ]
    for name in plan["schedulers"]:
        if name in result["skips"]:
            lines.append(f"{name}: skipped: {result['skips'][name]}")
            continue
        spans = [
            f"T={n}: {_get(result, name, 'heavy-tailed', n, 'makespan') * 1e3:.1f} ms"
            f" ({_get(result, name, 'heavy-tailed', n, 'efficiency'):.2f})"
            for n in plan["T"]
        ]
        lines.append(
            f"{name}: overhead {result['overhead'][name] * 1e6:.0f} us/task,"
            f" task time / asked {result['calibration'][name]:.3f},"
            f" heavy-tailed makespan (efficiency) {', '.join(spans)}"
        )
    return lines


def _get(result, name, distribution, count, field):
    return result["farms"][key(name, distribution, count)][field]
