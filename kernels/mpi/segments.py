"""MPICH's shared-memory files of one spawned job, and their removal after a death.

Each MPICH process creates a ``/dev/shm/mpich_shm_*`` file (mode 0600, about
1 MB) at MPI start and removes it in ``MPI_Finalize``.  A rank that is killed
never finalizes, and a driver whose rank died crashes in ``MPI_Finalize``
(see ``kernels.mpi.spawn``), so their files would stay until reboot.  The
files of a job are exactly those its processes have mapped (Linux:
``/proc/<pid>/maps``), which no other job's files are, so the mpi backend
records them once its ranks are up and removes them when it closes broken.
Removing a file that a live process still maps is safe: the mapping stays
valid until that process unmaps it.
"""

import os

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
