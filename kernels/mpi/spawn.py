"""Starting MPI ranks from a plain Python process (MPICH singleton ``Spawn``).

``spawn_ranks(MPI, nprocs, program)`` starts ``nprocs`` ranks running ``python -m
program`` on this host and returns the intercommunicator;
``process_manager_lost()`` says whether this process can still spawn;
``use_local_transport()`` keeps the ranks' transport off the network.

Facts about the MPICH wheel this code is written for (MPICH 5.0.2, mpi4py 4.1.2):

* A plain ``python`` process is an MPI singleton; its first Spawn makes MPICH
  fork+exec ``mpiexec`` found on PATH, with ``-pmi_args PORT ...``, and that
  mpiexec connects back to PORT.  If none is there MPICH prints an error and
  hangs, so a directory with our ``mpiexec`` goes first on PATH for the Spawn,
  or BackendUnavailable.
* Nothing listens beyond loopback (nobody else gets in while a backend is
  open).  MPICH's default process manager, hydra, listens on every interface
  (0.0.0.0, a control port for its proxies), whatever ``-iface`` or ``-hosts``
  say.  The wheel also ships ``mpiexec.gforker``, a single-host process manager
  that forks the ranks itself and talks PMI to them over inherited socket
  pairs: it listens on no port.  So our ``mpiexec`` is a small program that
  execs ``mpiexec.gforker`` (hydra's ``mpiexec`` only where gforker is
  missing; ``describe_process_manager()`` says which).  MPICH's singleton code binds
  PORT's listening socket to every interface, accepts the one connection of
  the handshake, and never uses or closes it again (``PMII_singinit`` in
  MPICH's ``src/pmi/src/pmi_v1.c``); its fd is inherited by everything the
  driver forks.  So our ``mpiexec`` closes every inherited fd above stderr
  before the exec, and the driver closes its copy once the Spawn returned:
  PORT is open on 0.0.0.0 only for the milliseconds of the handshake.
  The transport: MPICH's UCX netmod, by default, opens TCP listeners on every
  interface in every rank; on one host shared memory serves all traffic, so
  ``use_local_transport`` sets ``UCX_TLS=sm,self`` (unless the user set it).
* That process manager serves the whole interpreter: it stays (idle) after the
  ranks stop and serves the next Spawn; it exits with the interpreter (also
  when it is killed, taking any ranks with them).  Killing it would make every
  later Spawn in this process fail.
* The process manager runs in a session of its own (``setsid``): when a rank
  dies, MPICH's process managers kill their process group, which by default is
  the driver's (the driver and its parents, pytest or a shell, would die).  The
  driver raises WorkerError instead.  The process can spawn no more ranks
  after that (run code that kills ranks in a subprocess), nor finalize MPI:
  MPI_Finalize's PMI barrier would read end-of-file from the dead process
  manager and crash (SIGSEGV), so ``kernels.mpi.finalize`` skips it then.
* A spawned rank that dies before MPI_Init (say it cannot import its program)
  makes MPI_Comm_spawn wait forever, so every program is checked first
  (``python -m program --check`` must exit 0; once per program, root and process).
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile

from ..base import BackendUnavailable

#: MPICH's process manager (mpiexec) was started by a Spawn of ours / has died.
_pm_started = False
_pm_lost = False
#: pid of the process manager our ``mpiexec`` became, once a Spawn started it.
_pm_pid = None
#: (package root, program) pairs whose ``--check`` passed in this process.
_checked = set()


def process_manager_lost():
    """True once a rank died in this process or MPICH's mpiexec is gone otherwise.

    Then no Spawn can start ranks and MPI_Finalize cannot complete
    (``kernels.mpi.finalize``).  A process manager that exited (killed by
    someone else) is found, and reaped, here: it is this process's child.
    """
    global _pm_lost
    if not _pm_lost and _pm_pid is not None:
        try:
            gone = os.waitpid(_pm_pid, os.WNOHANG)[0] != 0
        except ChildProcessError:  # already reaped: gone
            gone = True
        _pm_lost = gone
    return _pm_lost


def mark_process_manager_lost():
    """Record that a rank died or was killed, and stop MPICH's process manager.

    After a rank's death the process manager cannot serve this process again
    (hydra exits; gforker stays, polling at full speed), so it is killed; its
    other ranks die with it (``process_manager.die_with_parent``).
    """
    global _pm_lost
    _pm_lost = True
    if _pm_pid is not None:
        try:
            os.kill(_pm_pid, signal.SIGKILL)
            os.waitpid(_pm_pid, 0)  # it is our child (MPICH forked it): reap it
        except OSError:
            pass  # already gone, or reaped


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


def process_manager_path(bindir):
    """Path of the process manager our ``mpiexec`` runs: gforker where the wheel has it."""
    gforker = os.path.join(bindir, "mpiexec.gforker")
    return gforker if os.access(gforker, os.X_OK) else os.path.join(bindir, "mpiexec")


def describe_process_manager():
    """One line for ``describe()``: which process manager spawns, and what it listens on."""
    bindir = mpiexec_dir()
    if bindir is None:
        return "none (no mpiexec)"
    pm = os.path.basename(process_manager_path(bindir))
    if pm == "mpiexec.gforker":
        return "mpiexec.gforker (single host, listens on no port)"
    return f"{pm} (hydra: listens on every interface)"


#: Environment variable and value that keep UCX, MPICH's transport, on this host.
LOCAL_TRANSPORT = ("UCX_TLS", "sm,self")


#: True while ``use_local_transport`` has put UCX_TLS into os.environ (the user had none)
_transport_set = False
#: the UCX_TLS value this process's MPI started with, as far as this module knows
_transport_in_effect = None


def use_local_transport():
    """Before MPI starts: ranks on one host talk through shared memory only.

    Sets ``UCX_TLS=sm,self`` unless the user set ``UCX_TLS``; the driver's MPI
    reads it when it starts and spawned ranks inherit it through the process
    manager.  Without it UCX opens a TCP listener per interface in every rank.
    ``end_local_transport`` takes it out of os.environ again once MPI and the
    process manager have started.  Returns the value in effect.
    """
    global _transport_set, _transport_in_effect
    key, value = LOCAL_TRANSPORT
    if key not in os.environ:
        os.environ[key] = value
        _transport_set = True
    if _transport_in_effect is None:
        _transport_in_effect = os.environ[key]
    return os.environ[key]


def end_local_transport():
    """Take the UCX_TLS that ``use_local_transport`` set out of os.environ again.

    Called once MPI has started in this process and, where ranks were spawned,
    the process manager too (both read it once): programs this process starts
    later (a batch job, an ``mpiexec`` across hosts) must not inherit a
    single-host transport.  A UCX_TLS the user set is left alone.
    """
    global _transport_set
    if _transport_set:
        os.environ.pop(LOCAL_TRANSPORT[0], None)
        _transport_set = False


def describe_transport():
    """ "UCX_TLS=<value this process's MPI started with>", for describe()."""
    key = LOCAL_TRANSPORT[0]
    value = _transport_in_effect or os.environ.get(key) or "UCX default (TCP on every interface)"
    return f"{key}={value}"


def _launcher_dir(bindir):
    """A private temporary directory (mode 0700) with our ``mpiexec``: a shell line
    that runs ``kernels/mpi/process_manager.py`` (isolated) on the process manager."""
    from . import process_manager

    launcher_dir = tempfile.mkdtemp(prefix="parbench-mpiexec-")
    argv = [sys.executable, "-I", "-S", process_manager.__file__, process_manager_path(bindir)]
    argv.append(os.path.join(launcher_dir, "info"))
    script = os.path.join(launcher_dir, "mpiexec")
    with open(script, "w") as f:
        f.write(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n')
    os.chmod(script, 0o700)
    return launcher_dir


def _read_info(info_file):
    """(singleton PMI port, process manager pid) written by our ``mpiexec``, or None."""
    try:
        with open(info_file) as f:
            port, pid = f.read().split()
        return int(port), int(pid)
    except (OSError, ValueError):
        return None


def _close_singleton_listener(port):
    """Close this process's copy of MPICH's singleton-init listening socket."""
    import psutil

    for conn in psutil.Process().net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.fd >= 0:
            os.close(conn.fd)


def spawn_ranks(MPI, nprocs, program):
    """Spawn ``nprocs`` ranks running ``python -m program``; return the intercommunicator.

    Raises BackendUnavailable if mpiexec is missing, if a rank died earlier in
    this process (a Spawn would crash), if the program does not start, or if the
    Spawn fails.
    """
    global _pm_started, _pm_pid
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
    launcher_dir = None if _pm_started else _launcher_dir(bindir)
    path = bindir if launcher_dir is None else launcher_dir + os.pathsep + bindir
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
        if launcher_dir:
            info = _read_info(os.path.join(launcher_dir, "info"))
            if info is not None:
                _close_singleton_listener(info[0])
                _pm_pid = info[1]
            shutil.rmtree(launcher_dir, ignore_errors=True)
    _pm_started = True
    end_local_transport()  # the process manager has it; later spawns go through it
    return inter
