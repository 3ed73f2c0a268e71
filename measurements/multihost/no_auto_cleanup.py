"""hydra's -disable-auto-cleanup: a rank SIGKILLed on pbnode2 leaves the job running.

    bash scripts/testcluster.sh up
    .venv/bin/python measurements/multihost/no_auto_cleanup.py

The loop of tests/test_testcluster.py (resident matvecs for 120 s) on pbnode1
and pbnode2 under kernels.mpi.world with ``-disable-auto-cleanup`` added; once
it runs, rank 1 is SIGKILLed.  Prints whether the job ended within 20 s and
which ranks were left; ``Job.wait`` kills the job at its timeout.  (Without the
flag the same kill ends the job in milliseconds: tests.log.)
"""

import os
import signal
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from cluster.testbed import TCP, Cluster, Job  # noqa: E402
from tests.test_testcluster import LOOP  # noqa: E402


def main(out="/tmp/parbench-no-auto-cleanup"):
    with open(f"{out}.py", "w") as f:
        f.write(LOOP)
    c = Cluster.load()
    cmd, env = c.mpiexec(
        ["pbnode1", "pbnode2"], 1, [sys.executable, "-m", "kernels.mpi.world", f"{out}.py"], TCP
    )
    cmd.insert(cmd.index("-launcher"), "-disable-auto-cleanup")
    print("command:", " ".join(cmd[4:]))
    job = Job(cmd, env, out)
    while "READY" not in open(f"{out}.out").read():
        time.sleep(0.05)
    pid = c.rank_pids("pbnode2")[1]
    os.kill(pid, signal.SIGKILL)
    print(f"SIGKILL rank 1 (pid {pid}) on pbnode2")
    time.sleep(20)
    print(
        "20 s later: mpiexec running:",
        job.proc.poll() is None,
        "ranks on pbnode1:",
        c.rank_pids("pbnode1"),
    )
    try:
        job.wait(0.1)
        print("the job had ended by itself")
    except TimeoutError:
        print("Job.wait(0.1) timed out and killed the job")
    except Exception as exc:
        print("ended:", type(exc).__name__, str(exc)[:300])
    time.sleep(1)
    print("left 1 s after:", c.rank_pids("pbnode1"), c.rank_pids("pbnode2"))


if __name__ == "__main__":
    main()
