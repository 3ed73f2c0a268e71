"""Does MPICH's Spawn place a rank on another test host when given the ``host`` info key?

    bash scripts/testcluster.sh exec -- .venv/bin/python \
        measurements/multihost/spawn_host_key.py gforker|hydra   # HYDRA_IFACE=pbc0 for hydra

Run on pbnode1 (its namespace).  This process is an MPI singleton; it spawns one
rank running ``kernels.mpi.pingpong`` with ``info["host"] = "pbnode2"``, through
the process manager the mpi backend's spawned mode uses (``gforker``: our
``mpiexec`` wrapper, kernels.mpi.spawn) or through the wheel's hydra
``mpiexec`` (``hydra``).  Prints the network namespace of this process and of
its children, the ranks found in pbnode2's namespace (cluster.testbed), and a
ping-pong of 8 bytes (seconds, one way) to show the rank serves.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from kernels.mpi import spawn  # noqa: E402

os.environ["UCX_TLS"] = "tcp,self"
from mpi4py import MPI  # noqa: E402


def main(mode):
    import psutil

    from cluster.testbed import Cluster
    from kernels.mpi.pingpong import Driver

    bindir = spawn.mpiexec_dir()
    path = bindir if mode == "hydra" else spawn._launcher_dir(bindir) + os.pathsep + bindir
    os.environ["PATH"] = path + os.pathsep + os.environ["PATH"]
    info = MPI.Info.Create()
    info.Set("host", "pbnode2")
    info.Set("wdir", ROOT)
    program = ["-m", "kernels.mpi.pingpong"]
    inter = MPI.COMM_SELF.Spawn(sys.executable, args=program, maxprocs=1, info=info)
    comm = inter.Merge(high=False)
    print(f"mode {mode}; this process: {os.readlink('/proc/self/ns/net')}")
    for p in psutil.Process().children(recursive=True):
        print(f"  child {p.pid} {os.readlink(f'/proc/{p.pid}/ns/net')} {p.cmdline()[:3]}")
    print("ranks in pbnode2's namespace (rank: pid):", Cluster.load().rank_pids("pbnode2"))
    driver = Driver(comm)
    print("ping-pong 8 B one-way s:", driver.one_way_times(8, "buffer", 0.05))
    driver.stop()
    comm.Free()
    inter.Disconnect()


if __name__ == "__main__":
    main(sys.argv[1])
