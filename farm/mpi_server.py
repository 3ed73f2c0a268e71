"""Worker program of the ``mpi-futures`` scheduler: mpi4py.futures' server, linked to its parent.

``MPIPoolExecutor(python_args=["-m", "farm.mpi_server"])`` spawns
``python -m farm.mpi_server -m mpi4py.futures.server``; this module sets the
parent-death link (the worker dies with MPICH's process manager, which dies
with the driver: see ``kernels.mpi.process_manager``) and then runs mpi4py's
own server.  ``--check`` returns at once (the spawn pre-flight).
"""

import sys


def main():
    if sys.argv[1:] == ["--check"]:
        return
    from kernels.mpi.process_manager import die_with_parent

    die_with_parent()
    from mpi4py.futures import server

    server.main()


if __name__ == "__main__":
    main()
