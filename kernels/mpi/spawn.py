"""Starting MPI ranks from a plain Python process (MPICH singleton ``Spawn``).

``spawn_ranks(MPI, nprocs, program)`` starts ``nprocs`` ranks running ``python -m
program`` and returns the intercommunicator; ``process_manager_lost()`` says
whether this process can still spawn.

Facts about the MPICH wheel this code is written for (MPICH 5.0.2, mpi4py 4.1.2):

* A plain ``python`` process is an MPI singleton; its first Spawn makes MPICH
  fork+exec ``mpiexec`` found on PATH.  If none is there MPICH prints an error
  and hangs, so the directory of the wheel's ``mpiexec`` (next to
  ``sys.executable``) goes first on PATH for the Spawn, or BackendUnavailable.
* That ``mpiexec`` and one ``hydra_pmi_proxy`` are MPICH's process manager for
  the whole interpreter: they stay (idle) after the ranks stop and serve the next
  Spawn; they exit with the interpreter (also when it is killed, taking any ranks
  with them).  Killing them would make every later Spawn in this process fail.
* When a rank dies, that mpiexec SIGKILLs its whole process group, which by
  default is the driver's: the driver and its parents in the group (pytest, a
  shell) would die with it.  So the first Spawn runs mpiexec through ``setsid``:
  a dead rank then only takes down mpiexec, and the driver raises WorkerError.
  The process can spawn no more ranks after that, and MPICH crashes (SIGSEGV) in
  MPI_Finalize at interpreter exit: run code that kills ranks in a subprocess.
* A spawned rank that dies before MPI_Init (say it cannot import its program)
  makes MPI_Comm_spawn wait forever, so every program is checked first
  (``python -m program --check`` must exit 0; once per program, root and process).
"""

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from ..base import BackendUnavailable

#: MPICH's process manager (mpiexec) was started by a Spawn of ours / has died.
_pm_started = False
_pm_lost = False
#: (package root, program) pairs whose ``--check`` passed in this process.
_checked = set()


def process_manager_lost():
    """True once a rank died in this process: MPICH's mpiexec is gone, no more Spawn."""
    return _pm_lost


def mark_process_manager_lost():
    """Record that a rank died or was killed (its mpiexec went with it)."""
    global _pm_lost
    _pm_lost = True


def mpiexec_dir():
    """Directory holding the mpiexec that MPICH's singleton Spawn will exec, or None.

    Prefers the one installed beside this Python (the ``mpich`` wheel's), which
    matches the libmpi mpi4py loaded, over whatever PATH has.
    """
    for d in (os.path.dirname(sys.executable), sysconfig.get_path("scripts")):
        if d and os.access(os.path.join(d, "mpiexec"), os.X_OK):
            return d
    found = shutil.which("mpiexec")
    return os.path.dirname(found) if found else None


def package_root():
    """Directory holding the ``kernels`` package this process imported.

    Spawned ranks run ``python -m program`` there: ``-m`` puts the working
    directory first on sys.path, so they import the very same code (a checkout
    or site-packages).
    """
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def preflight(root, program):
    """Raise BackendUnavailable unless ``python -m program --check`` exits 0 in ``root``."""
    if (root, program) in _checked:
        return
    cmd = [sys.executable, "-m", program, "--check"]
    try:
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendUnavailable(f"mpi backend: worker check {cmd} failed: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BackendUnavailable(
            f"mpi backend: the worker program {program} cannot start in {root}:\n{tail}"
        )
    _checked.add((root, program))


def _setsid_wrapper(bindir):
    """A temporary directory with an ``mpiexec`` that execs the real one under setsid."""
    setsid = shutil.which("setsid")
    if setsid is None:
        return None
    wrapper_dir = tempfile.mkdtemp(prefix="parbench-mpiexec-")
    script = os.path.join(wrapper_dir, "mpiexec")
    with open(script, "w") as f:
        real = os.path.join(bindir, "mpiexec")
        f.write(f'#!/bin/sh\nexec {shlex.quote(setsid)} {shlex.quote(real)} "$@"\n')
    os.chmod(script, 0o700)
    return wrapper_dir


def spawn_ranks(MPI, nprocs, program):
    """Spawn ``nprocs`` ranks running ``python -m program``; return the intercommunicator.

    Raises BackendUnavailable if mpiexec is missing, if a rank died earlier in
    this process (a Spawn would crash), if the program does not start, or if the
    Spawn fails.
    """
    global _pm_started
    if _pm_lost:
        raise BackendUnavailable(
            "mpi backend: an MPI rank died earlier in this process and"
            " took MPICH's mpiexec with it; start a new Python process"
        )
    bindir = mpiexec_dir()
    if bindir is None:
        raise BackendUnavailable(
            "mpi backend: no 'mpiexec' beside Python or on PATH (MPICH singleton Spawn execs it)"
        )
    root = package_root()
    preflight(root, program)
    info = MPI.Info.Create()
    info.Set("wdir", root)
    wrapper_dir = None if _pm_started else _setsid_wrapper(bindir)
    path = bindir if wrapper_dir is None else wrapper_dir + os.pathsep + bindir
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = path + os.pathsep + old_path
    try:
        inter = MPI.COMM_SELF.Spawn(
            sys.executable, args=["-m", program], maxprocs=nprocs, info=info
        )
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
