"""The task farm (package ``farm``): costs, the loop's calibration, every scheduler's timeline,
what each scheduler listens on, and that no worker is left after close.

Each scheduler runs in a process of its own (``helpers.run_scenario``): MPI is
per-process state, and the processes a scheduler started are found by the test
tag every child inherits.  The Ctrl-C tests are in tests/test_farm_faults.py.
"""

import os
import statistics
import time

import numpy as np
import psutil
import pytest

from farm import DISTRIBUTIONS, EMPTY, KINDS, SCHEDULERS, get_scheduler, task_costs
from farm import tasks as farm_tasks
from kernels import BackendUnavailable

from .helpers import new_tag, report_result, run_scenario
from .test_exposure import LOOPBACK, open_sockets, shm_files

#: the farm every scheduler runs in the scenario: T tasks of this mean cost (s)
SCENARIO_T, SCENARIO_MEAN_S = 24, 5e-4


# ------------------------------------------------------------------- costs


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_costs_are_seeded_and_sum_to_the_same_work(distribution):
    a = task_costs(distribution, 64, 1e-3, seed=3)
    assert a.shape == (64,) and a.dtype == np.float64
    assert np.all(a >= 0)
    assert a.sum() == pytest.approx(64 * 1e-3)
    assert np.array_equal(a, task_costs(distribution, 64, 1e-3, seed=3))
    if distribution != "equal":
        assert not np.array_equal(a, task_costs(distribution, 64, 1e-3, seed=4))


def test_heavy_tailed_costs_have_a_heavier_tail_than_uniform():
    heavy, uniform = task_costs("heavy-tailed", 256), task_costs("uniform", 256)
    assert heavy.max() > 2 * uniform.max()  # uniform never exceeds 2x the mean
    assert np.median(heavy) < np.median(uniform)


def test_empty_and_bad_costs():
    assert not task_costs(EMPTY, 5).any()
    assert task_costs("equal", 0).shape == (0,)
    with pytest.raises(ValueError, match="unknown distribution"):
        task_costs("normal", 4)
    with pytest.raises(ValueError):
        task_costs("equal", -1)


def test_registry_lists_static_and_dynamic_schedulers():
    assert {KINDS[n] for n in SCHEDULERS} == {"static", "dynamic"}
    with pytest.raises(ValueError, match="unknown scheduler"):
        get_scheduler("slurm")


# ------------------------------------------------------------- calibration


@pytest.mark.timeout(120)
def test_calibrated_task_lasts_its_target_within_20_percent():
    """The loop's calibration, checked on this machine: median task time / target.

    A task's cost is CPU work, so its time is the CPU time of the thread that ran
    it (``time.thread_time``: the other processes of a shared machine lengthen
    its wall time, not its work); the median over 41 tasks of each target.  The
    wall-clock ratio is printed beside it.
    """
    rate = farm_tasks.calibrate()
    for target in (2e-4, 1e-3, 5e-3):
        count = int(farm_tasks.iterations([target], rate)[0])
        cpu, wall = [], []
        for i in range(41):
            c0 = time.thread_time()
            _, pid, start, end = farm_tasks.run_task((i, count))
            cpu.append(time.thread_time() - c0)
            wall.append(end - start)
        ratio = statistics.median(cpu) / target
        print(
            f"task of {target * 1e3:g} ms: median CPU time {ratio:.3f} x the target,"
            f" wall {statistics.median(wall) / target:.3f} x ({rate:.3g} iterations/s)"
        )
        assert 0.8 <= ratio <= 1.2, (target, ratio)
        assert pid == os.getpid()


# ------------------------------------------------- a farm on each scheduler


def open_or_report():
    """SCENARIO_SCHEDULER opened with 2 workers, or None (reported) when unavailable."""
    s = get_scheduler(os.environ["SCENARIO_SCHEDULER"], workers=2)
    try:
        return s.open()
    except BackendUnavailable as exc:
        report_result(unavailable=str(exc))
        return None


def scenario_farm():
    """Open SCENARIO_SCHEDULER (2 workers), run a heavy-tailed farm, close; report it all."""
    before = set(shm_files())
    s = open_or_report()
    if s is None:
        return
    with s:
        pids = list(s.worker_pids)
        alive = [psutil.pid_exists(p) for p in pids]
        timeline = s.run(task_costs("heavy-tailed", SCENARIO_T, SCENARIO_MEAN_S))
        empty = s.run(task_costs(EMPTY, 8))
        sockets = open_sockets()
        files = {f: mode for f, mode in shm_files().items() if f not in before}
        describe = s.describe()
    left = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    report_result(
        driver=os.getpid(),
        pids=pids,
        alive=alive,
        timeline=timeline.to_dict(),
        efficiency=timeline.efficiency,
        empty_tasks=len(empty.start),
        sockets=sockets,
        files=files,
        describe=describe,
        left_after_close=left,
    )


def _check_timeline(t, pids, count):
    """Exactly ``count`` tasks, end >= start, on the scheduler's workers, one at a time each."""
    assert t["worker_pids"] == pids
    worker, start, end = (np.asarray(t[k]) for k in ("worker", "start", "end"))
    assert len(worker) == len(start) == len(end) == len(t["cost"]) == count
    assert np.all(end >= start)
    assert np.all((worker >= 0) & (worker < len(pids)))
    assert np.all(start >= 0) and end.max() <= t["makespan"]
    for w in range(len(pids)):  # a worker runs one task at a time
        order = np.argsort(start[worker == w])
        s, e = start[worker == w][order], end[worker == w][order]
        assert np.all(s[1:] >= e[:-1])


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", SCHEDULERS)
def test_timeline_records_every_task_on_its_workers_and_nothing_is_left(name):
    tag = new_tag(f"farm-{name}")
    before = set(shm_files())
    rc, res, out, survivors = run_scenario(
        __name__, "farm", tag, timeout=150, extra_env={"SCENARIO_SCHEDULER": name}
    )
    if "unavailable" in res:
        pytest.skip(f"{name} unavailable here: {res['unavailable']}")
    assert rc == 0, out[-3000:]
    assert len(res["pids"]) == 2 and all(res["alive"]), res["pids"]
    _check_timeline(res["timeline"], res["pids"], SCENARIO_T)
    assert res["empty_tasks"] == 8
    assert 0 < res["efficiency"] <= 1.0
    exposed = [s for s in res["sockets"] if s[1] not in LOOPBACK]
    assert not exposed, f"{name} listens beyond loopback: {exposed}"
    loose = {f: oct(mode) for f, mode in res["files"].items() if mode & 0o077}
    assert not loose, f"files of {name} readable by others: {loose}"
    assert not res["left_after_close"], res["left_after_close"]
    assert not survivors, survivors
    # other runs on a shared machine make files too: MPICH's carry their creator's pid
    ours = [f"_{pid:x}_" for pid in (res["driver"], *res["pids"])]
    left = [f for f in set(shm_files()) - before if any(o in f for o in ours)]
    assert not left, f"{name} left files in /dev/shm: {left}"
    print(f"{name}: efficiency {res['efficiency']:.2f}, sockets {res['sockets']}")


def test_a_closed_scheduler_refuses_to_run():
    from farm import SchedulerClosed

    s = get_scheduler("pool-map", workers=1)
    with pytest.raises(SchedulerClosed):
        s.run([1e-4])
