"""The program the driver's ``mpiexec`` runs, and the parent-death link of spawned ranks.

Run as ``python -I -S process_manager.py PM INFO_FILE ARGS...`` (standard library
only: it runs isolated, before anything of parbench is importable), it

1. writes the singleton's PMI port (from ``-pmi_args PORT ...``) and its own pid
   to INFO_FILE, so the driver can close its copy of that listener and stop
   this process manager after a rank died (see ``kernels.mpi.spawn``);
2. dies with the driver (``die_with_parent``), since MPICH's single-host
   process manager, gforker, does not notice that the driver is gone;
3. closes every inherited file descriptor above stderr (the singleton's
   listening socket among them), so neither it nor the ranks it forks hold a
   socket open on every interface;
4. starts a session of its own: MPICH's process managers kill their process
   group when a rank dies, and that must not be the driver's;
5. execs PM with ARGS.
"""

import ctypes
import os
import signal
import sys

#: prctl option: the signal this process gets when its parent thread exits (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """Ask Linux to SIGKILL this process when its parent exits (kept across exec).

    Returns False where that cannot be set (not Linux).  Exits with status 1 at
    once if the parent is already gone.  The link is to the parent's thread
    that forked this process: the driver must spawn from a thread that lives
    as long as the backend (the main thread, as asv and scripts do).
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the link was made
        os._exit(1)
    return True


def main(argv):
    pm, info_file, args = argv[0], argv[1], argv[2:]
    port = args[args.index("-pmi_args") + 1] if "-pmi_args" in args else ""
    with open(info_file, "w") as f:
        f.write(f"{port} {os.getpid()}\n")
    die_with_parent()
    for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own fd, already closed
    os.setsid()
    os.execv(pm, [pm, *args])


if __name__ == "__main__":
    main(sys.argv[1:])
