"""Rank program of the ``mpi-block`` scheduler: seed 001's block split of a task list over ranks.

Started by ``farm.mpi.MPIBlock`` as ``python -m farm.mpi_rank`` through
``kernels.mpi.spawn.spawn_ranks``; the driver and the W spawned ranks ``Merge``
into one intracommunicator where the driver is rank 0 and does no task (it only
deals them and collects the records), ranks 1..W are the workers.

Protocol per farm (numpy buffers only): rank 0 broadcasts a header
``[op, T]`` (int64), then the iteration count of every task (int64 (T,), Bcast:
every rank gets the whole list, as seed 001 broadcasts its job list); rank r
runs tasks ``row_blocks(T, W)[r - 1]`` in order (the numpy.array_split rule) and
the records (float64 (tasks, 4): index, pid, start, end) are gathered to rank 0
with Gatherv.  STOP ends the loop.

This module imports mpi4py at its top; ``farm.mpi`` imports it only inside
``open``, after ``use_local_transport`` (importing mpi4py.MPI starts MPI, and
UCX reads its transports then).
"""

import os
import sys
import time
import traceback

import numpy as np
from mpi4py import MPI

from kernels.mpi.process_manager import die_with_parent

from . import tasks
from .mpi import RECORD_LEN, STOP, blocks

#: an idle rank polls the next header with sleeps growing to this (s): a core stays free
IDLE_SLEEP_MAX_S = 0.0005


def idle_wait(request, max_sleep=IDLE_SLEEP_MAX_S):
    """Complete ``request`` polling with sleeps from 10 us growing to ``max_sleep`` s."""
    pause = 1e-5
    while not request.Test():
        time.sleep(pause)
        pause = min(pause * 2, max_sleep)


def run_block(comm, count):
    """One farm on a worker rank: receive the counts, run this rank's block, send records."""
    counts = np.empty(count, np.int64)
    comm.Ibcast(counts, root=0).Wait()  # non-blocking collectives match only their own kind
    lo, hi = blocks(count, comm.Get_size() - 1)[comm.Get_rank()]
    records = np.array([tasks.run_task((i, counts[i])) for i in range(lo, hi)], np.float64).reshape(
        -1, RECORD_LEN
    )
    comm.Igatherv(records, None, root=0).Wait()


def serve(comm):
    """Worker ranks' loop: run farms until STOP."""
    header = np.empty(2, np.int64)
    while True:
        idle_wait(comm.Ibcast(header, root=0))
        if header[0] == STOP:
            return
        run_block(comm, int(header[1]))


def main():
    """Entry point of a spawned rank; ``--check`` (spawn's pre-flight) returns at once."""
    if sys.argv[1:] == ["--check"]:
        return
    die_with_parent()  # nothing outlives the driver (see kernels.mpi.process_manager)
    parent = MPI.Comm.Get_parent()
    if parent == MPI.COMM_NULL:
        sys.exit(f"{sys.argv[0]} is started by farm.mpi.MPIBlock (MPI Spawn), not by hand")
    comm = parent.Merge(high=True)
    try:
        tasks.warm()
        comm.Gather(np.array([os.getpid()], np.int64), None, root=0)
        serve(comm)
        comm.Free()
        parent.Disconnect()
    except BaseException:
        # exit hard: MPI_Finalize would wait for the driver (see kernels.mpi.rank)
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
