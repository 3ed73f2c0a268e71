"""mpi backend (mpi4py): persistent ranks, row blocks scattered once, numpy buffers only.

``open`` spawns ``workers - 1`` ranks running ``kernels._mpi_worker`` with
``MPI.COMM_SELF.Spawn`` and merges them with the driver, which becomes rank 0
and computes its own block (so never more busy processes than ``workers``).
``workers == 1`` spawns nothing: rank 0 alone on a dup of COMM_SELF runs the
same code.  See ``kernels._mpi_worker`` for the protocol.

Under ``mpiexec -n P python -m kernels.mpi_world script.py`` (ranks placed by an
MPI launcher, possibly across hosts) nothing is spawned: ``open`` uses the P
ranks of MPI_COMM_WORLD, which ``kernels.mpi_world`` keeps serving until the
script ends; ``workers`` must then be P (None means P).

Resident data lives on the ranks: each keeps only its row block of A (no full
copy per rank); a resident matvec moves x (Bcast) and y (Gatherv) only.

Facts about the MPICH wheel measured here (MPICH 5.0.2, mpi4py 4.1.2):

* A plain ``python`` process is an MPI singleton; its first Spawn makes MPICH
  fork+exec ``mpiexec`` found on PATH.  If none is there MPICH prints an error
  and hangs, so ``open`` puts the directory of the wheel's ``mpiexec`` (next to
  ``sys.executable``) first on PATH for the Spawn, or raises BackendUnavailable.
* That ``mpiexec`` and one ``hydra_pmi_proxy`` are MPICH's process manager for
  the whole interpreter: they stay (idle, 0% CPU) after ``close`` and are reused
  by the next ``open``; they exit with the interpreter (also when it is killed,
  taking any ranks with them).  Killing them would make every later Spawn in
  this process fail, so ``close`` leaves them alone and only guarantees that the
  spawned Python ranks are gone.
* When a rank dies, that mpiexec SIGKILLs its whole process group, which by
  default is the driver's: the driver and its parents in the group (pytest, a
  shell) die with it.  So the first Spawn runs mpiexec through ``setsid``: a
  dead rank then only takes down mpiexec, and the driver raises WorkerError.
  The process can spawn no more ranks after that, and MPICH crashes (SIGSEGV)
  in MPI_Finalize at interpreter exit: run tests that kill ranks in a
  subprocess.
"""
import atexit
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import weakref

import numpy as np

from ._block_matvec import DESCRIPTION as BLOCK_MATVEC
from ._threads import BlasThreads, blas_description
from .base import Backend, BackendUnavailable, WorkerError

#: Open backends, closed at interpreter exit before mpi4py finalizes MPI (a
#: forgotten close would otherwise make MPI_Finalize wait for connected ranks).
_OPEN = weakref.WeakSet()
_atexit_registered = False
#: MPICH's process manager (mpiexec) was started by a Spawn of ours / has died.
_pm_started = False
_pm_lost = False
#: Package roots whose worker module was seen to start (see _preflight).
_checked_roots = set()

#: Seconds a spawned rank may take to exit after STOP before it is killed.
_EXIT_TIMEOUT_S = 5.0
#: How often (s) a waiting driver checks that the spawned ranks are alive.
_LIVENESS_PERIOD_S = 0.05


def _close_all():
    for backend in list(_OPEN):
        try:
            backend.close()
        except Exception:
            pass


def _mpiexec_dir():
    """Directory holding the mpiexec that MPICH's singleton Spawn will exec, or None.

    Prefers the one installed beside this Python (the ``mpich`` wheel's), which
    matches the libmpi mpi4py loaded, over whatever PATH has.
    """
    for d in (os.path.dirname(sys.executable), sysconfig.get_path("scripts")):
        if d and os.access(os.path.join(d, "mpiexec"), os.X_OK):
            return d
    found = shutil.which("mpiexec")
    return os.path.dirname(found) if found else None


def _preflight(root):
    """Raise BackendUnavailable unless ``python -m kernels._mpi_worker`` starts in ``root``.

    Why: a spawned rank that dies before MPI_Init (say it cannot import
    ``kernels``) makes MPI_Comm_spawn wait forever.  Checked once per root
    and process (about 0.3 s).
    """
    if root in _checked_roots:
        return
    cmd = [sys.executable, "-m", "kernels._mpi_worker", "--check"]
    try:
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendUnavailable(f"mpi backend: worker check {cmd} failed: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BackendUnavailable(f"mpi backend: the worker program cannot start in {root}:\n{tail}")
    _checked_roots.add(root)


def _is_gone(proc):
    import psutil
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _launched_world():
    """The world communicator when running under ``python -m kernels.mpi_world``, else None."""
    from . import mpi_world
    return mpi_world.WORLD


class MPIBackend(Backend):
    name = "mpi"
    data_is_remote = True

    def __init__(self, workers=None, dtype=np.float64):
        world = _launched_world()
        if workers is None and world is not None:
            workers = world.Get_size()  # all ranks the launcher started
        super().__init__(workers=workers, dtype=dtype)

    @classmethod
    def memory_parts(cls, kernel, n, dtype, workers, resident=True):
        from .memory import PROCESS_BYTES, operand_bytes
        s = np.dtype(dtype).itemsize
        name = "A" if kernel == "matvec" else "a"
        return [(f"row blocks of {name} on the ranks (one copy in all)",
                 operand_bytes(kernel, n, s), "host"),
                ("x and y buffers on the ranks", 2 * workers * s * n if kernel == "matvec" else 0,
                 "host"),
                (f"{workers - 1} MPI rank processes", (workers - 1) * PROCESS_BYTES, "process")]

    # -- lifecycle -----------------------------------------------------------
    def _open(self):
        try:
            from mpi4py import MPI
            from . import _mpi_worker as w
        except (ImportError, RuntimeError, OSError) as exc:  # no mpi4py or no libmpi
            raise BackendUnavailable(f"mpi backend needs mpi4py and an MPI library: {exc}") from exc
        self._MPI, self._w = MPI, w
        self._procs = []
        self._inter = None
        self._broken = False
        self._world = _launched_world()
        if self._world is not None:
            # Ranks placed by an MPI launcher (python -m kernels.mpi_world): they are
            # already serving; the launcher owns them and their communicator.
            size = self._world.Get_size()
            if self.workers != size:
                raise BackendUnavailable(
                    f"mpi backend under kernels.mpi_world has {size} ranks: open it with"
                    f" workers={size} (or workers=None), not {self.workers}")
            comm = self._world
        elif self.workers == 1:
            comm = MPI.COMM_SELF.Dup()
        else:
            self._inter = self._spawn(MPI, self.workers - 1)
            comm = self._inter.Merge(high=False)  # driver = rank 0
        self._comm = comm
        self._header = np.zeros(w.HEADER_LEN, np.int64)
        self._dtype_code = w.DTYPES.index(self.dtype)
        self._rank = w.Rank(comm, wait=self._wait)
        self._handles = iter(range(1, 2**62))
        self._blas = BlasThreads(1).start()
        if self._inter is not None:
            import psutil
            pids = np.zeros(self.workers, np.int64)
            comm.Gather(np.array([os.getpid()], np.int64), pids, root=0)
            self._procs = [psutil.Process(int(p)) for p in pids[1:]]
        global _atexit_registered
        if not _atexit_registered:  # registered after mpi4py's, so it runs first
            atexit.register(_close_all)
            _atexit_registered = True
        _OPEN.add(self)

    def _spawn(self, MPI, nprocs):
        """Spawn ``nprocs`` worker ranks; return the intercommunicator.

        Raises BackendUnavailable if mpiexec is missing, if a rank died earlier
        in this process (MPICH's process manager is gone: a Spawn would crash)
        or if the Spawn fails.
        """
        global _pm_started
        if _pm_lost:
            raise BackendUnavailable("mpi backend: an MPI rank died earlier in this process and"
                                     " took MPICH's mpiexec with it; start a new Python process")
        bindir = _mpiexec_dir()
        if bindir is None:
            raise BackendUnavailable("mpi backend: no 'mpiexec' beside Python or on PATH"
                                     " (MPICH singleton Spawn execs it)")
        # Workers run `python -m kernels._mpi_worker` in the directory holding the
        # kernels package this process imported (dev checkout or site-packages):
        # `-m` puts the working directory first on sys.path, so they import the
        # very same code.
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        _preflight(root)
        info = MPI.Info.Create()
        info.Set("wdir", root)
        path = bindir
        wrapper_dir = None
        setsid = shutil.which("setsid")
        if not _pm_started and setsid:
            # Put mpiexec in its own session (see the module docstring).
            wrapper_dir = tempfile.mkdtemp(prefix="parbench-mpiexec-")
            script = os.path.join(wrapper_dir, "mpiexec")
            with open(script, "w") as f:
                real = os.path.join(bindir, "mpiexec")
                f.write(f'#!/bin/sh\nexec {shlex.quote(setsid)} {shlex.quote(real)} "$@"\n')
            os.chmod(script, 0o755)
            path = wrapper_dir + os.pathsep + bindir
        old_path = os.environ.get("PATH", "")
        os.environ["PATH"] = path + os.pathsep + old_path
        try:
            inter = MPI.COMM_SELF.Spawn(sys.executable, args=["-m", "kernels._mpi_worker"],
                                        maxprocs=nprocs, info=info)
        except MPI.Exception as exc:
            raise BackendUnavailable(f"mpi backend: Spawn of {nprocs} ranks failed: {exc}") from exc
        finally:
            # mpiexec was exec'd before Spawn returned: PATH and script are done with.
            os.environ["PATH"] = old_path
            info.Free()
            if wrapper_dir:
                shutil.rmtree(wrapper_dir, ignore_errors=True)
        _pm_started = True
        return inter

    def _close(self):
        _OPEN.discard(self)
        try:
            if not self._broken and self._world is None:
                if self._inter is not None:
                    self._command(self._w.STOP)
                self._comm.Free()
                if self._inter is not None:
                    self._inter.Disconnect()  # collective with the ranks' Disconnect
        finally:
            self._blas.stop()
            # Broken: the ranks never got STOP, so waiting for them is pointless.
            self._reap(0.0 if self._broken else _EXIT_TIMEOUT_S)

    def _reap(self, timeout):
        """Wait up to ``timeout`` s for the spawned ranks to exit, then kill those left."""
        global _pm_lost
        deadline = time.monotonic() + timeout
        while self._procs and time.monotonic() < deadline:
            self._procs = [p for p in self._procs if not _is_gone(p)]
            if self._procs:
                time.sleep(0.01)
        for p in self._procs:
            _pm_lost = True  # a killed rank takes mpiexec down (module docstring)
            try:
                p.kill()
            except Exception:
                pass
        self._procs = []

    def describe(self):
        d = {**super().describe(), "block_matvec": BLOCK_MATVEC, "blas": blas_description()}
        try:
            import mpi4py
            from mpi4py import MPI
            d["mpi"] = MPI.Get_library_version().splitlines()[0].strip()
            d["mpi4py"] = mpi4py.__version__
        except Exception as exc:  # describe must not fail where MPI is missing
            d["mpi"] = f"unavailable ({exc})"
        return d

    # -- commands ------------------------------------------------------------
    def _wait(self, request):
        """Complete an MPI request on rank 0; raise WorkerError if a rank died meanwhile."""
        global _pm_lost
        if request.Test():
            return
        next_check = time.perf_counter() + _LIVENESS_PERIOD_S
        while not request.Test():
            now = time.perf_counter()
            if now > next_check:
                for rank, p in enumerate(self._procs, start=1):
                    if _is_gone(p):
                        self._broken = _pm_lost = True
                        raise WorkerError(f"mpi backend: rank {rank} (pid {p.pid}) died; this"
                                          " process cannot spawn MPI ranks any more")
                next_check = now + _LIVENESS_PERIOD_S

    def _command(self, op, handle=0, n=0, ndim=0, data=None):
        """Broadcast the header of one command, then run it on rank 0.

        Returns what ``Rank.execute`` returns.  Raises WorkerError if a rank
        died.  Any exception here (also KeyboardInterrupt) leaves the ranks in
        an unknown place of the protocol, so the backend is marked broken:
        ``close`` then kills the ranks instead of sending STOP.
        """
        if self._broken:
            raise WorkerError("mpi backend: broken by an earlier error; close it")
        h = self._header
        h[0], h[1], h[2], h[3], h[4] = op, handle, n, ndim, self._dtype_code
        try:
            self._wait(self._comm.Ibcast(h, root=0))
            if op == self._w.STOP:
                return None
            return self._rank.execute(h, data)
        except BaseException:
            self._broken = True
            raise

    def _put(self, array):
        handle = next(self._handles)
        self._command(self._w.PUT, handle, array.shape[0], array.ndim, array)
        return handle

    def _free(self, handle):
        if not self._broken:
            self._command(self._w.FREE, handle)

    def _matvec(self, handle, n, x):
        return self._command(self._w.MATVEC, handle, n, 2, x)

    def _sum(self, handle, n):
        return self._command(self._w.SUM, handle, n, 1)
