"""The reaper of one mpi backend's shared-memory files: none outlives a killed driver.

Run by ``kernels.mpi.segments.Reaper`` as ``python -I -S reaper.py PREFIX`` with
a pipe on stdin, in a session of its own (a Ctrl-C in the terminal does not
reach it).  The driver writes the path of each MPICH shared-memory file its
job maps (``/dev/shm/mpich_shm_*``: its own and its ranks'), one per line, once
its ranks are up; the reaper notes each file's identity (device and inode).
Then it waits until the pipe closes:

* after a line ``CLOSED`` (the backend closed in order: MPICH's MPI_Finalize
  removes the files of the ranks as they exit, and the driver's own at its
  exit, or the backend's close removed them), it exits and removes nothing;
* without it (the kernel closed the pipe because the driver died: SIGKILL,
  SIGTERM from asv's timeout, a crash), it removes every noted file that is
  still the file it noted.  The ranks die with the driver (parent-death
  signal) and never finalize either, so without this each process of the job
  would leave its file (about 1 MB) until reboot.

The identity check keeps it off a file another job made under a noted name
after MPICH removed ours (the driver's file is named after its pid).  Removing
a file that a dying rank still maps is safe: the mapping stays valid until the
process is gone.  Only files directly in PREFIX's directory whose names
start like PREFIX's are accepted.

Why not ipyparallel's reaper (``kernels/ipyparallel/reaper.py``): that one
kills the processes that carry a profile's environment mark and removes the
profile at every close; this one kills nothing (the job's processes end with
the driver) and must leave the files alone at an orderly close, since the
driver's own file is in use until its MPI_Finalize.  What the two share, an
isolated script reading its stdin until end-of-file with SIGINT and SIGTERM
ignored, is a few lines, and an isolated script (``-I``) cannot import a
shared module.  Standard library only, so it starts in about 20 ms.
"""

import os
import signal
import sys

#: The line after which the pipe's end means an orderly close, not a death.
CLOSED = "CLOSED"


def _identity(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def main(argv):
    if len(argv) != 2 or not os.path.isabs(argv[1]):
        print("usage: reaper.py ABSOLUTE_PATH_PREFIX  (stdin: paths from the driver)")
        return 2
    prefix = argv[1]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the removal must run to its end
    noted, closed = {}, False
    for raw in sys.stdin.buffer:  # ends once the driver's end is closed
        line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
        if line == CLOSED:
            closed = True
        elif line.startswith(prefix) and os.path.dirname(line) == os.path.dirname(prefix):
            ident = _identity(line)
            if ident is not None:
                noted[line] = ident
    if closed:
        return 0
    for path, ident in noted.items():
        if _identity(path) == ident:
            try:
                os.unlink(path)
            except OSError:
                pass  # removed meanwhile
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
