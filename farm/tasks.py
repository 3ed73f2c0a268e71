"""The tasks of the farm: seeded costs, a compiled busy loop calibrated to seconds, one task run.

* ``task_costs(distribution, T, mean_s, seed)``: the cost of each of T tasks, in
  seconds, shape (T,), float64.  ``equal``: every task ``mean_s``; ``uniform``:
  uniform on [0, 2 mean_s); ``heavy-tailed``: Pareto with shape 1.5 (classic
  Pareto, minimum 1; finite mean, infinite variance), so a few tasks are many times
  the mean.  Every sample is rescaled so its sum is exactly ``T * mean_s``: the
  three distributions ask for the same total work at each T and differ only in
  how it is spread.  ``empty``: every cost 0 (the per-task overhead farm).
* ``spin(iterations)``: real CPU work, never sleep (a sleeping task uses no core,
  so an oversubscribed farm would look fast): a chain of dependent floating-point
  multiply-adds compiled by numba.  Each iteration waits for the one before, so
  the loop runs at the FPU's latency whatever the caches or memory do, and the
  compiler cannot vectorise or shorten it (no fast-math).
* ``calibrate()``: iterations per CPU second of ``spin`` on this machine, the
  median of repeated runs timed with the thread's CPU clock
  (``time.thread_time``), so a calibration taken while other processes share
  the cores still measures the loop, not the share of a core it got;
  ``iterations(costs, rate)`` turns seconds into iteration counts.  A task of
  c seconds is c seconds of one core's work: on a loaded machine it lasts
  longer on the wall clock, which is what its timeline records.
* ``run_task(task)``: what every scheduler sends to its workers, ``task`` =
  (index, iterations); returns (index, pid, start, end), start and end from
  ``time.perf_counter`` (CLOCK_MONOTONIC on Linux: one clock for every process of
  the host, so a driver can place its workers' records on its own time axis).
* ``warm()`` / ``warm_linked()``: the worker start-up every scheduler runs once
  per worker (the loop compiled or loaded from numba's cache; with the
  parent-death link for pool workers), so no timed task pays for it.
"""

import os
import statistics
import time

import numpy as np

DISTRIBUTIONS = ("equal", "uniform", "heavy-tailed")
#: the farm of empty tasks (cost 0) that measures each scheduler's per-task overhead
EMPTY = "empty"
#: Pareto shape of the heavy-tailed costs
PARETO_SHAPE = 1.5

_spin = None
_rate = None


def task_costs(distribution, count, mean_s=1e-3, seed=0):
    """Seconds of work of each of ``count`` tasks: ndarray (count,), float64, sum count*mean_s.

    ``distribution``: one of DISTRIBUTIONS or EMPTY; the same (distribution,
    count, mean_s, seed) always gives the same costs.  Raises ValueError for an
    unknown distribution, a negative count or mean.
    """
    if count < 0 or mean_s < 0:
        raise ValueError(f"count and mean_s must be >= 0, got {count}, {mean_s}")
    rng = np.random.default_rng([seed, count, _code(distribution)])
    if distribution == EMPTY:
        return np.zeros(count)
    if distribution == "equal":
        raw = np.ones(count)
    elif distribution == "uniform":
        raw = rng.uniform(0.0, 2.0, count)
    else:
        raw = rng.pareto(PARETO_SHAPE, count) + 1.0  # numpy's is Lomax: shift to Pareto(min 1)
    total = raw.sum()
    return raw * (count * mean_s / total) if total > 0 else raw


def _code(distribution):
    names = (*DISTRIBUTIONS, EMPTY)
    if distribution not in names:
        raise ValueError(f"unknown distribution {distribution!r}; choose one of {', '.join(names)}")
    return names.index(distribution)


def _compiled():
    """The numba-compiled loop (compiled once per process, cached on disk by numba)."""
    global _spin
    if _spin is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def spin_loop(iterations):
            x = 0.0
            for _ in range(iterations):
                x = x * 0.999999 + 1.0  # depends on the last x: one FPU latency each
            return x

        _spin = spin_loop
    return _spin


def spin(iterations):
    """Run the busy loop ``iterations`` times (int >= 0); returns its float result."""
    return _compiled()(int(iterations))


def calibrate(target_s=1e-3, repeats=9):
    """Iterations per CPU second of ``spin`` here: the median of ``repeats`` runs of ~target_s.

    Timed with ``time.thread_time`` (this thread's CPU seconds), the median over
    the runs.  Cached for the process.
    """
    global _rate
    if _rate is not None:
        return _rate
    spin(1)  # compile (or load from the cache) outside the timing
    n = 1000
    while True:  # grow n until one run lasts target_s
        t0 = time.thread_time()
        spin(n)
        took = time.thread_time() - t0
        if took >= target_s or n > 10**10:
            break
        n = int(n * min(10.0, max(2.0, 1.2 * target_s / max(took, 1e-9))))
    rates = []
    for _ in range(repeats):
        t0 = time.thread_time()
        spin(n)
        rates.append(n / max(time.thread_time() - t0, 1e-9))
    _rate = statistics.median(rates)
    return _rate


def iterations(costs, rate):
    """Iteration counts (int64 (T,)) of tasks of ``costs`` seconds at ``rate`` iterations/s."""
    return np.rint(np.asarray(costs, dtype=np.float64) * rate).astype(np.int64)


def run_task(task):
    """Run one task, ``task`` = (index, iterations); return (index, pid, start, end).

    start and end are ``time.perf_counter()`` seconds of this process, taken
    right around the loop.
    """
    index, count = task
    start = time.perf_counter()
    spin(count)
    end = time.perf_counter()
    return int(index), os.getpid(), start, end


def run_tasks(tasks):
    """``run_task`` of each of ``tasks`` in order: a list of (index, pid, start, end)."""
    return [run_task(t) for t in tasks]


def warm():
    """Worker start-up: compile the loop (or load it from numba's cache); returns the pid."""
    spin(1)
    return os.getpid()


def warm_linked(barrier=None, timeout=120.0):
    """``warm`` for a worker the driver's main thread started: it also dies with its parent.

    The parent-death link (Linux ``PR_SET_PDEATHSIG``) means a pool worker never
    outlives a driver that was killed (asv's timeout, SIGKILL).  Not for workers
    another program started (ipyparallel's engines: their launcher owns them).
    ``barrier``: a multiprocessing Barrier that the driver and every worker wait
    on once warm, so the driver knows that all of them are ready (a broken or
    timed-out barrier is ignored: the driver reports it).
    """
    import threading

    from kernels.mpi.process_manager import die_with_parent

    die_with_parent()
    warm()
    if barrier is not None:
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            pass
    return os.getpid()
