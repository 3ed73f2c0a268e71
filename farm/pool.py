"""The standard library's process pools as farm schedulers (spawned workers, pipes, no sockets).

* ``pool-map`` (static): ``multiprocessing.Pool.map`` with one chunk per worker
  (chunksize = ceil(T / W)), as seed 004 farms its tasks: each worker gets one
  contiguous block of tasks before the farm starts.
* ``pool-imap`` (dynamic): ``Pool.imap_unordered`` with chunksize 1: an idle
  worker takes the next task from the pool's task queue.
* ``process-pool`` (dynamic): ``concurrent.futures.ProcessPoolExecutor.map``
  (one future per task, chunksize 1).

Every pool is started with the "spawn" start method (fork is unsafe once numba's
or BLAS's threads exist), from the caller's thread, with ``farm.tasks.warm_linked``
as initializer, so each worker compiles the loop before the first farm and dies
with the driver, however the driver ends.  Ctrl-C during a run raises
KeyboardInterrupt in the driver; ``close`` then terminates the workers (SIGTERM,
then SIGKILL after 1 s) instead of waiting for their tasks.
"""

import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from kernels.base import BackendUnavailable

from . import tasks
from .base import Scheduler

START_METHOD = "spawn"
#: seconds the workers may take to start and warm up
START_TIMEOUT_S = 120.0


def _stop_processes(procs, timeout=1.0):
    """Terminate, then kill, every multiprocessing.Process of ``procs``; wait for each."""
    for p in procs:
        if p.exitcode is None:
            p.terminate()
    deadline = time.monotonic() + timeout
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.exitcode is None:
            p.kill()
            p.join(timeout)


def _ready(ctx, workers):
    """A Barrier for the driver and ``workers`` workers (see ``farm.tasks.warm_linked``)."""
    return ctx.Barrier(workers + 1, timeout=START_TIMEOUT_S)


def _wait_ready(barrier, name):
    """The driver's side of the start-up barrier: BackendUnavailable if a worker never came."""
    import threading

    try:
        barrier.wait()
    except threading.BrokenBarrierError as exc:
        raise BackendUnavailable(
            f"{name}: the workers did not all start within {START_TIMEOUT_S} s"
        ) from exc


class _Pool(Scheduler):
    """A multiprocessing.Pool of ``workers`` spawned processes."""

    def _open(self):
        ctx = multiprocessing.get_context(START_METHOD)
        barrier = _ready(ctx, self.workers)
        try:
            self._pool = ctx.Pool(self.workers, tasks.warm_linked, (barrier, START_TIMEOUT_S))
            _wait_ready(barrier, self.name)
        except BaseException:
            self._close(True)
            raise
        # Pool._pool (its list of Process objects) is CPython's, stable since 2.6: the
        # pids place tasks on workers, and they stay fixed while no worker dies
        self._pids = tuple(p.pid for p in self._pool._pool)

    @property
    def worker_pids(self):
        return self._pids

    def _close(self, broken):
        pool, self._pool = getattr(self, "_pool", None), None
        if pool is None:
            return
        procs = list(pool._pool)
        if broken:
            pool.terminate()  # SIGTERM to the workers, then joins its threads
        else:
            pool.close()
        pool.join()
        _stop_processes(procs)

    def describe(self):
        return {**super().describe(), "start_method": START_METHOD, "transport": "pipes"}


class PoolMap(_Pool):
    """Pool.map, one chunk of ceil(T / W) consecutive tasks per worker (static)."""

    name = "pool-map"
    kind = "static"

    def _run(self, items):
        chunk = math.ceil(len(items) / self.workers)
        return self._pool.map(tasks.run_task, items, chunksize=chunk)


class PoolImap(_Pool):
    """Pool.imap_unordered with chunksize 1 (dynamic)."""

    name = "pool-imap"
    kind = "dynamic"

    def _run(self, items):
        return list(self._pool.imap_unordered(tasks.run_task, items, chunksize=1))


class ProcessPool(Scheduler):
    """concurrent.futures.ProcessPoolExecutor, one future per task (dynamic)."""

    name = "process-pool"
    kind = "dynamic"

    def _open(self):
        ctx = multiprocessing.get_context(START_METHOD)
        barrier = _ready(ctx, self.workers)
        self._ex = ProcessPoolExecutor(
            self.workers, ctx, tasks.warm_linked, (barrier, START_TIMEOUT_S)
        )
        try:
            # The executor (Python 3.9+ with spawn) starts a worker per submit while no
            # worker is idle, from the submitting thread: W submits at once start all W
            started = [self._ex.submit(os.getpid) for _ in range(self.workers)]
            _wait_ready(barrier, self.name)
            for f in started:
                f.result(START_TIMEOUT_S)
        except BaseException:
            self._close(True)
            raise
        # _processes (pid -> Process) is the executor's own record, CPython 3.2+
        self._pids = tuple(sorted(self._ex._processes))

    @property
    def worker_pids(self):
        return self._pids

    def _close(self, broken):
        ex, self._ex = getattr(self, "_ex", None), None
        if ex is None:
            return
        procs = list((ex._processes or {}).values())
        if broken:
            ex.shutdown(wait=False, cancel_futures=True)
            _stop_processes(procs)
        ex.shutdown(wait=True)
        _stop_processes(procs)

    def _run(self, items):
        return list(self._ex.map(tasks.run_task, items))

    def describe(self):
        return {**super().describe(), "start_method": START_METHOD, "transport": "pipes"}
