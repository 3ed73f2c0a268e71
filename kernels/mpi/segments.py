"""MPICH's shared-memory files of one spawned job, and their removal after a death.

Each MPICH process creates a ``/dev/shm/mpich_shm_*`` file (mode 0600, about
1 MB) at MPI start and removes it in ``MPI_Finalize``.  A rank that is killed
never finalizes, and a driver whose ranks were killed cannot finalize MPI
(``kernels.mpi.finalize``), so their files would stay until reboot.  The
files of a job are exactly those its processes have mapped (Linux:
``/proc/<pid>/maps``), which no other job's files are, so the mpi backend
records them once its ranks are up and removes them when it closes broken.
Removing a file that a live process still maps is safe: the mapping stays
valid until that process unmaps it.

A driver that is killed (SIGKILL, SIGTERM from asv's timeout) closes nothing,
and its ranks die with it: ``Reaper`` hands the recorded files to a process
that outlives the driver (``kernels/mpi/reaper.py``), which removes them when
the driver dies, and leaves them alone after an orderly close.
"""

import os
import subprocess
import sys

from ..memory import SHM_DIR

#: The name prefix of MPICH's shared-memory files (in SHM_DIR).
PREFIX = "mpich_shm_"


def mapped_segments(pids):
    """Paths of the MPICH shared-memory files mapped by any of ``pids``.

    Returns a sorted list (empty where ``/proc`` is missing or a process is gone).
    """
    found = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps") as maps:
                for line in maps:
                    path = line.rstrip("\n").split(maxsplit=5)[-1]
                    if path.startswith(os.path.join(SHM_DIR, PREFIX)):
                        found.add(path)
        except OSError:
            continue
    return sorted(found)


def remove(paths):
    """Remove ``paths`` (those already gone are skipped); returns how many were removed."""
    removed = 0
    for path in paths:
        try:
            os.unlink(path)
            removed += 1
        except FileNotFoundError:
            pass
    return removed


class Reaper:
    """A reaper process that removes ``paths`` if this process dies before ``close()``.

    ``Reaper(paths)`` starts ``kernels/mpi/reaper.py`` (isolated, standard
    library only, in a session of its own) with a pipe from this process on
    its stdin and writes it the paths.  The pipe's write end is this
    process's alone (not inherited across exec), so the kernel closes it when
    this process ends in any way.  ``close()`` tells the reaper that the
    backend closed in order and waits for it to exit.  Where the reaper cannot
    start, the files are left as before (nothing raises).
    """

    #: seconds close() waits for the reaper to exit before killing it
    EXIT_TIMEOUT_S = 5.0

    def __init__(self, paths):
        self.proc = None
        if not paths:
            return
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reaper.py")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", script, os.path.join(SHM_DIR, PREFIX)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            return
        _write(self.proc, "".join(f"{path}\n" for path in paths))

    def close(self):
        """The backend closed in order: the reaper exits without removing anything."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        _write(proc, "CLOSED\n")  # kernels/mpi/reaper.py's CLOSED
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(self.EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _write(proc, text):
    try:
        proc.stdin.write(text.encode("utf-8", "surrogateescape"))
        proc.stdin.flush()
    except (OSError, ValueError):  # the reaper is gone (someone killed it)
        pass
