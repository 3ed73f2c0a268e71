"""mpi backend (mpi4py): persistent ranks, row blocks scattered once, numpy buffers only.

``open`` spawns ``workers - 1`` ranks running the rank program (``rank_program``,
default ``kernels.mpi.rank``; see ``kernels.mpi.spawn``) and merges them with the
driver, which becomes rank 0 and computes its own block (so never more busy
processes than ``workers``).  ``workers == 1`` spawns nothing: rank 0 alone on a
dup of COMM_SELF runs the same code.  See ``kernels.mpi.rank`` for the protocol.

Under ``mpiexec -n P python -m kernels.mpi.world script.py`` (ranks placed by an
MPI launcher, possibly across hosts) nothing is spawned: ``open`` uses the P
ranks of MPI_COMM_WORLD, which ``kernels.mpi.world`` keeps serving until the
script ends; ``workers`` must then be P (None means P).

Resident data lives on the ranks: each keeps only its row block of A (no full
copy per rank); a resident matvec moves x (Bcast) and y (Gatherv) only.

Rank log records: each rank logs to its stderr, which MPICH's process manager
forwards to the driver's stderr (so ``asv run --show-stderr`` shows them).

Ending: Ctrl-C during a command lets the command complete, then raises
KeyboardInterrupt with the backend intact (``kernels.mpi.interrupts``); MPI is
finalized at exit only where it can be (``kernels.mpi.finalize``); a reaper
process removes the job's shared-memory files if the driver is killed
(``kernels.mpi.segments.Reaper``).
"""

import atexit
import importlib
import os
import time
import weakref

import numpy as np

from ..base import Backend, BackendUnavailable, WorkerError
from ..blas import BlasThreads, blas_description
from ..compiled.block_matvec import DESCRIPTION as BLOCK_MATVEC
from . import finalize, interrupts, segments, spawn

#: Open backends, closed at interpreter exit before MPI is finalized (a
#: forgotten close would otherwise make MPI_Finalize wait for connected ranks).
_OPEN = weakref.WeakSet()
_atexit_registered = False
#: Seconds a spawned rank may take to exit after STOP before it is killed.
_EXIT_TIMEOUT_S = 5.0
#: How often (s) a waiting driver checks that the spawned ranks are alive.
_LIVENESS_PERIOD_S = 0.05
#: After one rank is seen gone, how long (s) to wait before naming every gone
#: rank: a process manager may take the other ranks down when one dies (hydra
#: does), and on a loaded machine a survivor can exit before the killed rank is
#: reaped, so naming only the first rank seen gone could blame the wrong one.
_DEATH_SETTLE_S = 0.1


def _close_all():
    for backend in list(_OPEN):
        try:
            backend.close()
        except Exception:
            pass


def _is_gone(proc):
    import psutil

    try:
        return proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return True


def _launched_world():
    """The world communicator when running under ``python -m kernels.mpi.world``, else None."""
    from . import world

    return world.WORLD


class MPIBackend(Backend):
    """The mpi backend; ``rank_program``: the module the spawned ranks run.

    The program module must provide ``main()`` (the rank's entry point, which
    exits 0 at once for ``--check``), ``RANK_CLASS`` (the per-command code rank 0
    runs too) and the protocol constants of ``kernels.mpi.rank``.  Raises what
    ``kernels.base.Backend`` raises, and WorkerError when a rank dies.
    """

    name = "mpi"
    data_is_remote = True
    pools_placements = True
    rank_program = "kernels.mpi.rank"

    def __init__(self, workers=None, dtype=np.float64, rank_program=None):
        world = _launched_world()
        if workers is None and world is not None:
            workers = world.Get_size()  # all ranks the launcher started
        super().__init__(workers=workers, dtype=dtype)
        if rank_program is not None:
            self.rank_program = rank_program

    @classmethod
    def memory_parts(cls, kernel, n, dtype, workers, resident=True):
        from ..facts import operand_bytes, operand_name, vector_bytes
        from ..memory import PROCESS_BYTES

        s = np.dtype(dtype).itemsize
        return [
            (
                f"row blocks of {operand_name(kernel)} on the ranks (one copy in all)",
                operand_bytes(kernel, n, s),
                "host",
            ),
            ("x and y buffers on the ranks", workers * vector_bytes(kernel, n, s), "host"),
            (f"{workers - 1} MPI rank processes", (workers - 1) * PROCESS_BYTES, "process"),
        ]

    # -- lifecycle -----------------------------------------------------------
    def _open(self):
        if _launched_world() is None:
            spawn.use_local_transport()  # read once, when MPI starts below
        try:
            MPI = finalize.import_mpi()
        except (ImportError, RuntimeError, OSError) as exc:  # no mpi4py or no libmpi
            raise BackendUnavailable(f"mpi backend needs mpi4py and an MPI library: {exc}") from exc
        try:
            w = importlib.import_module(self.rank_program)
        except ImportError as exc:
            raise BackendUnavailable(
                f"mpi backend: the rank program {self.rank_program} cannot be imported: {exc}"
            ) from exc
        self._MPI, self._w = MPI, w
        self._procs = []
        self._segments = []
        self._reaper = segments.Reaper([])
        self._defers_sigint = False
        self._inter = None
        self._broken = False
        self._world = _launched_world()
        if self._world is not None:
            # Ranks placed by an MPI launcher (python -m kernels.mpi.world): they are
            # already serving; the launcher owns them and their communicator.
            size = self._world.Get_size()
            if self.workers != size:
                raise BackendUnavailable(
                    f"mpi backend under kernels.mpi.world has {size} ranks: open it with"
                    f" workers={size} (or workers=None), not {self.workers}"
                )
            comm = self._world
        elif self.workers == 1:
            comm = MPI.COMM_SELF.Dup()
            spawn.end_local_transport()  # MPI has started; nothing is spawned
        else:
            self._inter = spawn.spawn_ranks(MPI, self.workers - 1, self.rank_program)
            comm = self._inter.Merge(high=False)  # driver = rank 0
        self._comm = comm
        self._header = np.zeros(w.HEADER_LEN, np.int64)
        self._dtype_code = w.DTYPES.index(self.dtype)
        self._rank = w.RANK_CLASS(comm, wait=self._wait)
        self._handles = iter(range(1, 2**62))
        self._blas = BlasThreads(1).start()
        if self._inter is not None:
            import psutil

            pids = np.zeros(self.workers, np.int64)
            comm.Gather(np.array([os.getpid()], np.int64), pids, root=0)
            self._procs = [psutil.Process(int(p)) for p in pids[1:]]
            self._segments = segments.mapped_segments([os.getpid(), *(int(p) for p in pids[1:])])
        if self._world is None:  # a launcher's job is the launcher's to clean up
            own = self._segments or segments.mapped_segments([os.getpid()])
            self._reaper = segments.Reaper(own)
        self._defers_sigint = interrupts.install()
        global _atexit_registered
        if not _atexit_registered:  # after finalize.import_mpi's handler, so it runs first
            atexit.register(_close_all)
            _atexit_registered = True
        _OPEN.add(self)

    def _close(self):
        _OPEN.discard(self)
        if not self._broken and any(_is_gone(p) for p in self._procs):
            # A rank died while the backend was idle.  STOP and Disconnect would not
            # notice (they complete on this side), but the process manager serves no
            # more after a rank's death, so MPI_Finalize would wait for it forever.
            self._broken = True
            spawn.mark_process_manager_lost()
        try:
            if not self._broken and self._world is None:
                if self._inter is not None:
                    self._command(self._w.STOP)
                self._comm.Free()
                if self._inter is not None:
                    self._inter.Disconnect()  # collective with the ranks' Disconnect
        finally:
            self._blas.stop()
            if self._defers_sigint:
                interrupts.uninstall()
                self._defers_sigint = False
            # Broken: the ranks never got STOP, so waiting for them is pointless.
            self._reap(0.0 if self._broken else _EXIT_TIMEOUT_S)
            if self._broken:  # no rank, and not this process, will finalize MPI cleanly
                segments.remove(self._segments)
            self._reaper.close()  # in order: what is left is MPI_Finalize's to remove

    def _reap(self, timeout):
        """Wait up to ``timeout`` s for the spawned ranks to exit, then kill those left."""
        deadline = time.monotonic() + timeout
        while self._procs and time.monotonic() < deadline:
            self._procs = [p for p in self._procs if not _is_gone(p)]
            if self._procs:
                time.sleep(0.01)
        for p in self._procs:
            spawn.mark_process_manager_lost()  # a killed rank takes mpiexec down
            try:
                p.kill()
            except Exception:
                pass
        self._procs = []

    def describe(self):
        d = {**super().describe(), "block_matvec": BLOCK_MATVEC, "blas": blas_description()}
        try:
            import mpi4py

            MPI = finalize.import_mpi()
            d["mpi"] = MPI.Get_library_version().splitlines()[0].strip()
            d["mpi4py"] = mpi4py.__version__
            if _launched_world() is not None:
                d["process_manager"] = "the launcher's (kernels.mpi.world)"
            else:
                d["process_manager"] = spawn.describe_process_manager()
            d["transport"] = spawn.describe_transport()
        except Exception as exc:  # describe must not fail where MPI is missing
            d["mpi"] = f"unavailable ({exc})"
        return d

    # -- commands ------------------------------------------------------------
    def _wait(self, request):
        """Complete an MPI request on rank 0; raise WorkerError if a rank died meanwhile."""
        if request.Test():
            return
        next_check = time.perf_counter() + _LIVENESS_PERIOD_S
        while not request.Test():
            now = time.perf_counter()
            if now > next_check:
                if interrupts.overdue():  # Ctrl-C, and the command did not complete in time
                    raise KeyboardInterrupt
                if any(_is_gone(p) for p in self._procs):
                    self._broken = True
                    time.sleep(_DEATH_SETTLE_S)
                    gone = [
                        f"{rank} (pid {p.pid})"
                        for rank, p in enumerate(self._procs, start=1)
                        if _is_gone(p)
                    ]
                    spawn.mark_process_manager_lost()
                    raise WorkerError(
                        f"mpi backend: rank{'s' if len(gone) > 1 else ''} {', '.join(gone)}"
                        " died; this process cannot spawn MPI ranks any more"
                    )
                next_check = now + _LIVENESS_PERIOD_S

    def _command(self, op, handle=0, n=0, ndim=0, data=None):
        """Broadcast the header of one command, then run it on rank 0.

        Returns what ``Rank.execute`` returns.  Raises WorkerError if a rank
        died.  Any exception inside leaves the ranks in an unknown place of the
        protocol, so the backend is marked broken: ``close`` then kills the
        ranks instead of sending STOP.  A Ctrl-C is not such an exception: it
        is held until the command completed, then raised as KeyboardInterrupt
        with the backend intact (``kernels.mpi.interrupts``; a command that
        does not complete within its grace time breaks the backend).
        """
        if self._broken:
            raise WorkerError("mpi backend: broken by an earlier error; close it")
        h = self._header
        h[0], h[1], h[2], h[3], h[4] = op, handle, n, ndim, self._dtype_code
        deferring = interrupts.begin()
        try:
            self._wait(self._comm.Ibcast(h, root=0))
            result = None if op in (self._w.STOP, self._w.REST) else self._rank.execute(h, data)
        except BaseException:
            self._broken = True
            raise
        finally:
            interrupted = deferring and interrupts.end()
        if interrupted:  # the command completed: the ranks wait for the next one
            raise KeyboardInterrupt
        return result

    def rest(self):
        """End the ranks' spin after a call now (REST): they poll with sleeps until the next."""
        if self._is_open and not self._broken and self.workers > 1:
            self._command(self._w.REST)

    def _put(self, array):
        handle = next(self._handles)
        self._command(self._w.PUT, handle, array.shape[0], array.ndim, array)
        return handle

    def _refill(self, handle, array):
        # PUT of a live handle: the ranks scatter into that handle's blocks
        self._command(self._w.PUT, handle, array.shape[0], array.ndim, array)

    def _free(self, handle):
        if not self._broken:
            self._command(self._w.FREE, handle)

    def _matvec(self, handle, n, x):
        return self._command(self._w.MATVEC, handle, n, 2, x)

    def _vector_sum(self, handle, n):
        return self._command(self._w.VECTOR_SUM, handle, n, 1)
