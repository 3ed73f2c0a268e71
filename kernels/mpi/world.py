"""Run a script whose ``mpi`` backend uses ranks started by an MPI launcher.

    mpiexec -n P [-hosts h1,h2,...] python -m kernels.mpi.world script.py [args...]

This is how the ``mpi`` backend goes beyond one machine: the launcher (or a batch
scheduler's ``srun``/``mpiexec``) places the P ranks on whatever hosts it is given.
Rank 0 runs ``script.py`` as ``__main__``; ranks 1..P-1 serve the backend's
commands (``kernels.mpi.rank.serve``) until the script ends.  In the script,
``get_backend("mpi")`` (workers None or P) then uses those P ranks instead of
spawning ranks on the local host; everything else, the protocol and the
numpy-buffer collectives, is the same code as in the spawned mode.  At start the
ranks gather where each runs (``LAYOUT``: host name, addresses, pid per rank) so
the script can record the host layout with its results.

Exit status: the script's (1 with a traceback if it raised).  If the script
dies without reaching the end, the launcher ends the other ranks.
"""

import argparse
import os
import runpy
import sys

import numpy as np

#: The world communicator while ``main`` runs a script on rank 0, else None.
WORLD = None
#: While ``main`` runs a script on rank 0: where each rank runs, one
#: ``host_identity()`` dict per rank of WORLD (rank order); else None.
LAYOUT = None


def host_identity():
    """Where this process runs: {"host": MPI processor name, "addresses": [IPv4 ...], "pid"}.

    ``addresses``: this network namespace's IPv4 addresses, loopback excluded
    (hosts that share a name, like network namespaces of one machine, differ here).
    """
    import socket

    import psutil
    from mpi4py import MPI

    addresses = sorted(
        a.address
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    )
    return {"host": MPI.Get_processor_name(), "addresses": addresses, "pid": os.getpid()}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="mpiexec -n P python -m kernels.mpi.world",
        description="Run SCRIPT on rank 0 with the mpi backend's worker ranks on ranks 1..P-1"
        " of MPI_COMM_WORLD (ranks placed by the MPI launcher, across hosts).",
    )
    parser.add_argument("script", help="Python script to run on rank 0 as __main__")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    ns = parser.parse_args(argv)

    from mpi4py import MPI
    from threadpoolctl import threadpool_limits

    from . import rank as w

    # `python -m kernels.mpi.world` runs this file as __main__, a second copy of the
    # module: the backend reads WORLD from the imported kernels.mpi.world.
    from . import world as imported

    comm = MPI.COMM_WORLD.Dup()
    layout = comm.gather(host_identity(), root=0)  # once, before the buffer-only protocol
    if comm.Get_rank() != 0:
        w.log_to_stderr(comm.Get_rank())
        with threadpool_limits(limits=1, user_api="blas"):  # one busy thread per rank
            w.serve(comm)
        comm.Free()
        return 0
    imported.WORLD, imported.LAYOUT = comm, layout
    sys.argv = [ns.script, *ns.args]
    try:
        runpy.run_path(ns.script, run_name="__main__")
    finally:
        imported.WORLD = imported.LAYOUT = None
        stop = np.zeros(w.HEADER_LEN, np.int64)
        stop[0] = w.STOP
        # Ibcast, as every header: MPI never matches a blocking with a nonblocking collective
        comm.Ibcast(stop, root=0).Wait()  # release the serving ranks
        comm.Free()
    return 0


if __name__ == "__main__":
    sys.exit(main())
