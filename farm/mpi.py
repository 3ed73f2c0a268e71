"""MPI farm schedulers (mpi4py): a static block split over spawned ranks, and MPIPoolExecutor.

* ``mpi-block`` (static, seed 001): W ranks spawned with
  ``kernels.mpi.spawn.spawn_ranks`` run ``farm.mpi_rank``; every rank gets the
  whole task list (Bcast) and runs its contiguous block (numpy.array_split rule);
  the records come back with one Gatherv.  The driver deals and collects only.
* ``mpi-futures`` (dynamic): ``mpi4py.futures.MPIPoolExecutor`` with W workers,
  one future per task, each sent to the next idle worker.

Nobody else gets in, as with the ``mpi`` backend (``kernels.mpi.spawn``): UCX
on shared memory only (``use_local_transport``, before mpi4py starts MPI), and
the process that serves MPI_Comm_spawn is MPICH's single-host ``mpiexec.gforker``
(no listening port), started by ``spawn_ranks``'s launcher at this process's
first Spawn.  MPIPoolExecutor calls MPI_Comm_spawn itself, from its manager
thread; so before it is created the process manager is started the house way,
with a one-rank ``mpi-block`` opened and closed when this process has not
spawned yet; its Spawn then goes to that process manager.  Its workers run
``farm.mpi_server`` (mpi4py's server with the parent-death link).

Waiting: the driver polls its MPI requests with short sleeps (it is not a
worker, so it must not hold a core) and checks every 50 ms that the workers
live: a dead worker raises WorkerError.  Ctrl-C or a death leaves the scheduler
broken; ``close`` then kills the workers, MPICH's process manager with them
(``spawn.mark_process_manager_lost``: this process can spawn no more MPI
workers, and MPICH crashes in MPI_Finalize at exit, as with the mpi backend),
and removes MPICH's shared-memory files of the job.
"""

import atexit
import concurrent.futures
import os
import time
import weakref

import numpy as np

from kernels.base import BackendUnavailable, WorkerError
from kernels.mpi import segments, spawn
from kernels.validate import row_blocks

from . import tasks
from .base import Scheduler

#: mpi-block's protocol (see farm.mpi_rank): header [op, T]; records of 4 float64
FARM, STOP = 1, 2
RECORD_LEN = 4  # index, pid, start, end

#: how often (s) a waiting driver checks that its workers are alive
LIVENESS_PERIOD_S = 0.05
#: longest sleep (s) between two polls of a request in the driver
POLL_SLEEP_MAX_S = 0.0002
#: seconds the workers may take to exit after a clean stop before they are killed
EXIT_TIMEOUT_S = 5.0

#: open MPI schedulers, closed at interpreter exit before mpi4py finalizes MPI
_OPEN = weakref.WeakSet()


def blocks(count, workers):
    """[(start, stop)] of the tasks of rank 0..W: rank 0 (the driver) none, rank r block r - 1."""
    return [(0, 0), *row_blocks(count, workers)]


def _close_all():
    for s in list(_OPEN):
        try:
            s.close()
        except Exception:
            pass


def _mpi():
    """mpi4py's MPI, started with the local transport; BackendUnavailable without it."""
    spawn.use_local_transport()
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as exc:
        raise BackendUnavailable(f"MPI farm needs mpi4py and an MPI library: {exc}") from exc
    return MPI


def _is_gone(proc):
    import psutil

    try:
        return proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return True


class _MPIScheduler(Scheduler):
    """What both MPI schedulers share: liveness-checked waits and a hard stop."""

    _procs = ()
    _segments = ()

    def _register(self, pids):
        import psutil

        self._procs = [psutil.Process(p) for p in pids]
        self._pids = tuple(pids)
        self._segments = segments.mapped_segments([os.getpid(), *pids])
        atexit.register(_close_all)  # once per function: atexit keeps duplicates, harmlessly
        _OPEN.add(self)

    @property
    def worker_pids(self):
        return getattr(self, "_pids", ())

    def _check_alive(self):
        gone = [f"{p.pid}" for p in self._procs if _is_gone(p)]
        if gone:
            self._broken = True
            raise WorkerError(f"{self.name}: worker pid(s) {', '.join(gone)} died")

    _check_workers = _check_alive

    def _wait(self, done):
        """Poll ``done()`` until True, with sleeps up to POLL_SLEEP_MAX_S and liveness checks."""
        pause, next_check = 1e-5, time.perf_counter() + LIVENESS_PERIOD_S
        while not done():
            time.sleep(pause)
            pause = min(pause * 2, POLL_SLEEP_MAX_S)
            if time.perf_counter() > next_check:
                self._check_alive()
                next_check = time.perf_counter() + LIVENESS_PERIOD_S

    def _reap(self, timeout):
        """Wait up to ``timeout`` s for the workers to exit, then kill those left."""
        deadline = time.monotonic() + timeout
        procs = list(self._procs)
        while procs and time.monotonic() < deadline:
            procs = [p for p in procs if not _is_gone(p)]
            if procs:
                time.sleep(0.01)
        for p in procs:
            spawn.mark_process_manager_lost()  # a killed worker takes mpiexec down
            try:
                p.kill()
            except Exception:
                pass
        self._procs = []

    def _kill(self):
        """Broken: kill the workers now and remove MPICH's files of the job."""
        self._reap(0.0)
        segments.remove(self._segments)

    def describe(self):
        return {
            **super().describe(),
            "process_manager": spawn.describe_process_manager(),
            "transport": spawn.describe_transport(),
        }


class MPIBlock(_MPIScheduler):
    """Spawned ranks, each running its contiguous block of the task list (static)."""

    name = "mpi-block"
    kind = "static"
    program = "farm.mpi_rank"

    def _open(self):
        MPI = self._MPI = _mpi()
        self._inter = spawn.spawn_ranks(MPI, self.workers, self.program)
        self._comm = self._inter.Merge(high=False)  # the driver is rank 0
        pids = np.zeros(self.workers + 1, np.int64)
        self._comm.Gather(np.array([os.getpid()], np.int64), pids, root=0)
        self._register([int(p) for p in pids[1:]])

    def _close(self, broken):
        _OPEN.discard(self)
        if broken:
            self._kill()
            return
        try:
            header = np.array([STOP, 0], np.int64)
            self._wait(self._comm.Ibcast(header, root=0).Test)
            self._comm.Free()
            self._inter.Disconnect()  # collective with the ranks' Disconnect
        except BaseException:
            self._kill()
            raise
        self._reap(EXIT_TIMEOUT_S)

    def _run(self, items):
        MPI, comm = self._MPI, self._comm
        count = len(items)
        counts = np.array([c for _, c in items], np.int64)
        header = np.array([FARM, count], np.int64)
        self._wait(comm.Ibcast(header, root=0).Test)
        self._wait(comm.Ibcast(counts, root=0).Test)
        bounds = blocks(count, self.workers)
        sizes = [(hi - lo) * RECORD_LEN for lo, hi in bounds]
        displs = [lo * RECORD_LEN for lo, _ in bounds]
        recv = np.empty((count, RECORD_LEN), np.float64)
        none = np.empty((0, RECORD_LEN), np.float64)
        self._wait(comm.Igatherv(none, [recv, sizes, displs, MPI.DOUBLE], root=0).Test)
        return [(int(r[0]), int(r[1]), float(r[2]), float(r[3])) for r in recv]


def _start_process_manager(MPI):
    """Start MPICH's process manager the house way (``spawn_ranks``), if not yet started."""
    # spawn's own flag (no public accessor): True once this process has spawned
    if not getattr(spawn, "_pm_started", False):
        MPIBlock(workers=1).open().close()


class MPIFutures(_MPIScheduler):
    """mpi4py.futures.MPIPoolExecutor with one future per task (dynamic)."""

    name = "mpi-futures"
    kind = "dynamic"
    program = "farm.mpi_server"

    def _open(self):
        MPI = _mpi()
        if spawn.process_manager_lost():
            raise BackendUnavailable(
                f"{self.name}: an MPI worker died earlier in this process; start a new one"
            )
        from mpi4py.futures import MPIPoolExecutor

        _start_process_manager(MPI)
        root = spawn.package_root()
        spawn.preflight(root, self.program)  # a worker that cannot start hangs the Spawn
        self._ex = MPIPoolExecutor(
            max_workers=self.workers,
            python_args=["-m", self.program],
            mpi_info={"wdir": root},
            initializer=tasks.warm,
        )
        try:
            self._ex.bootup(wait=True)  # spawned, and every initializer has run
            self._register(self._server_pids())
        except BaseException:
            self._broken = True
            self._close(True)
            raise

    def _server_pids(self):
        """Pids of this executor's workers: our descendants running the server program."""
        import psutil

        found = []
        for p in psutil.Process().children(recursive=True):
            try:
                if self.program in " ".join(p.cmdline()) and p.pid not in _claimed():
                    found.append(p.pid)
            except psutil.Error:
                continue
        if len(found) != self.workers:
            raise BackendUnavailable(
                f"{self.name}: found {len(found)} worker processes, expected {self.workers}"
            )
        return sorted(found)

    def _close(self, broken):
        _OPEN.discard(self)
        ex, self._ex = getattr(self, "_ex", None), None
        if ex is None:
            return
        if broken:
            pool = ex._pool  # read before shutdown() drops it
            self._kill()
            ex.shutdown(wait=False, cancel_futures=True)
            _end_manager_thread(getattr(pool, "thread", None))
            return
        ex.shutdown(wait=True)
        self._reap(EXIT_TIMEOUT_S)

    def _run(self, items):
        futures = [self._ex.submit(tasks.run_task, item) for item in items]
        pending = futures
        while pending:  # a blocking wait, woken every LIVENESS_PERIOD_S to check the workers
            _, pending = concurrent.futures.wait(pending, timeout=LIVENESS_PERIOD_S)
            if pending:
                self._check_alive()
        return [f.result() for f in futures]


def _end_manager_thread(thread, timeout=2.0):
    """Stop mpi4py.futures' manager thread after its workers were killed.

    It waits forever for the results of the dead workers' tasks (MPICH does not
    report a dead spawned process), and Python waits for it at exit, so a farm
    interrupted by Ctrl-C could never exit.  The thread loops in Python
    (probe, then a short sleep), so an exception raised in it asynchronously
    (``PyThreadState_SetAsyncExc``, SystemExit: a thread's quiet exit) ends it.
    """
    import ctypes

    if thread is None or not thread.is_alive():
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit)
    )
    thread.join(timeout)


def _claimed():
    """Pids of the workers of every open MPI scheduler of this process."""
    return {pid for s in list(_OPEN) for pid in s.worker_pids}
