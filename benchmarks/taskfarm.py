"""The task farm (package ``farm``): makespan, efficiency and per-task overhead of each scheduler.

One measurement per run (asv's ``setup_cache``, shared by every benchmark here):
``farm.measure`` opens each scheduler once, runs T tasks of ~1 ms mean cost from
each distribution (equal, uniform, heavy-tailed; seeded), repeated, plus a farm
of empty tasks, and keeps the median repeat.  It runs in a child process (an
MPI worker's death cannot take asv's process with it; the child dies with it).

* ``Farm.track_makespan`` (scheduler, distribution, T): seconds from dispatch
  until the driver held every result;
* ``Farm.track_efficiency`` (same): seconds spent in tasks / (workers x makespan);
* ``FarmOverhead.track_per_task`` (scheduler): worker-seconds per empty task;
* ``FarmRun.track_id``: the id of the run's timelines (below).

A scheduler that cannot run here is asv's skip (NaN), its reason on stderr.  The
per-task timelines of the run (for ``python -m benchmarks.plot``'s timeline
figure) cannot be asv results, which are one number each: they are written
beside asv's results, as ``<results_dir>/farm/<run id>.json.gz`` (asv reads only
``*.json`` in folders with a ``machine.json``, so it never takes it for a
result), and ``FarmRun.track_id`` stores that random run id with the run's
results, so the report finds the timelines of exactly this run.

Sizes (``PARBENCH_SIZES``): default T = 16, 64, 256 with 1 ms tasks, up to 3
repeats (12 s per scheduler); quick T = 8, 32 with 0.5 ms tasks, up to 2 repeats
(6 s per scheduler).
"""

import gzip
import json
import os
import secrets
import subprocess
import sys
import tempfile

from kernels.mpi.process_manager import die_with_parent

from . import common

common.importable_from_checkout("farm")

from farm import DISTRIBUTIONS, SCHEDULERS  # noqa: E402 (after the path is set)
from farm.measure import PLANS, make_plan  # noqa: E402
from measuring.asv_paths import results_dir  # noqa: E402

#: seconds the whole measurement may take before it is killed
MEASURE_TIMEOUT_S = 900

_CHILD = """
import json, sys
sys.path.append({root!r})  # farm from the checkout when not installed
from farm.measure import measure
result = measure(json.loads({plan!r}))
with open({out!r}, "w") as f:
    json.dump(result, f)
"""


def plan():
    """This run's plan (``farm.measure.make_plan``) from the suite's switches."""
    return make_plan(common.SETTINGS.size_set, common.SETTINGS.workers)


def _timelines_path(run_id):
    """Where this run's timelines go (see the module docstring), or None outside asv."""
    results = results_dir()
    return None if results is None else os.path.join(results, "farm", f"{run_id}.json.gz")


def _save_timelines(result):
    path = _timelines_path(result["run_id"])
    if path is None:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    keep = {k: v for k, v in result.items() if k != "overhead"}  # asv holds the overheads
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(keep, f)
    print(f"parbench: farm timelines written to {path}", file=sys.stderr, flush=True)


def setup_cache():
    """asv's setup_cache: ``farm.measure``'s result dict (see there), or {} if it failed."""
    code_plan = json.dumps(plan())
    with tempfile.TemporaryDirectory(prefix="parbench-farm-") as tmp:
        out = os.path.join(tmp, "farm.json")
        code = _CHILD.format(root=common.ROOT, plan=code_plan, out=out)
        try:
            # the parent-death signal, set between fork and exec: asv's timeout kills the
            # setup_cache process, and this one goes too
            subprocess.run(
                [sys.executable, "-c", code],
                cwd=tmp,
                timeout=MEASURE_TIMEOUT_S,
                preexec_fn=die_with_parent,
            )
        except subprocess.TimeoutExpired:
            print(f"parbench: the farm ran over {MEASURE_TIMEOUT_S} s", file=sys.stderr)
        if not os.path.exists(out):
            return {}
        with open(out) as f:
            result = json.load(f)
    result["run_id"] = secrets.randbelow(10**12)  # exact as asv's float result
    _save_timelines(result)
    return result


setup_cache.timeout = MEASURE_TIMEOUT_S + 60


def _lookup(cache, scheduler, field, *where):
    """The measured value, or asv's skip (NotImplementedError) with the reason."""
    if scheduler in cache.get("skips", {}):
        raise NotImplementedError(cache["skips"][scheduler])
    try:
        if field == "overhead":
            return cache["overhead"][scheduler]
        return cache["farms"]["|".join(str(w) for w in (scheduler, *where))][field]
    except KeyError:
        raise NotImplementedError(f"not measured: {scheduler} {where} {field}") from None


class Farm(common.Benchmark):
    """Makespan and efficiency of every (scheduler, distribution, T)."""

    params = [list(SCHEDULERS), list(DISTRIBUTIONS), PLANS[common.SETTINGS.size_set]["T"]]
    param_names = ["scheduler", "distribution", "T"]

    def setup(self, cache, scheduler, distribution, count):
        self.makespan = _lookup(cache, scheduler, "makespan", distribution, count)
        self.efficiency = _lookup(cache, scheduler, "efficiency", distribution, count)

    def track_makespan(self, cache, scheduler, distribution, count):
        return self.makespan

    track_makespan.unit = "seconds"

    def track_efficiency(self, cache, scheduler, distribution, count):
        return self.efficiency

    track_efficiency.unit = "ratio"


class FarmOverhead(common.Benchmark):
    """Worker-seconds each task of a farm of empty tasks costs: W x makespan / T."""

    params = [list(SCHEDULERS)]
    param_names = ["scheduler"]
    unit = "seconds"

    def setup(self, cache, scheduler):
        self.value = _lookup(cache, scheduler, "overhead")

    def track_per_task(self, cache, scheduler):
        return self.value


class FarmRun(common.Benchmark):
    """The id of this run's timelines file (``<results_dir>/farm/<id>.json.gz``)."""

    unit = "id"

    def setup(self, cache):
        if "run_id" not in cache:
            raise NotImplementedError("the farm measurement failed")

    def track_id(self, cache):
        return cache["run_id"]
