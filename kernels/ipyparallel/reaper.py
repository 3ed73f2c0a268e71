"""The reaper of one private IPython Parallel cluster: nothing outlives its driver.

Run by ``kernels.ipyparallel.cluster`` as ``python -I reaper.py PROFILE_DIR``
with a pipe on stdin, in a session of its own (a Ctrl-C in the terminal does
not reach it).  It waits until that pipe closes: the driver closes it after a
clean stop, and the kernel closes it when the driver dies in any way (SIGKILL,
SIGTERM from asv's timeout, a crash).  Then it kills every process whose
environment carries ``IPP_PROFILE_DIR=PROFILE_DIR`` (ipyparallel's launchers
set it in the controller and engines; their schedulers, nannies and, under MPI,
the process manager and its ranks inherit it) and removes PROFILE_DIR with the
connection files and logs in it.

Why not the processes' own parent-death signal: ipyparallel starts the
controller and engines itself (``start_new_session=True``, so they survive the
driver's terminal signals), and the engines' nannies and the controller's
schedulers are grandchildren, re-parented to init when their parent dies.  The
environment marks all of them.  Standard library and psutil only, so it starts
in a few tens of milliseconds.
"""

import os
import shutil
import signal
import sys
import time

#: Seconds to wait for killed processes to be gone before removing the files.
_GONE_TIMEOUT_S = 5.0


def cluster_processes(profile_dir):
    """psutil.Process of every process of this user whose IPP_PROFILE_DIR is ``profile_dir``."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get("IPP_PROFILE_DIR") == profile_dir:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def sweep(profile_dir):
    """Kill every process of the cluster at ``profile_dir``, wait, remove the directory.

    Returns the number of processes killed.
    """
    import psutil

    procs = cluster_processes(profile_dir)
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=_GONE_TIMEOUT_S)
    shutil.rmtree(profile_dir, ignore_errors=True)
    return len(procs)


def main(argv):
    if len(argv) != 2 or not os.path.isabs(argv[1]):
        print("usage: reaper.py ABSOLUTE_PROFILE_DIR  (stdin: a pipe from the driver)")
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the sweep must run to its end
    while sys.stdin.buffer.read(4096):  # returns b"" once the driver's end is closed
        pass
    # a stop in flight when the driver died gets a moment to end on its own
    time.sleep(0.05)
    sweep(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
