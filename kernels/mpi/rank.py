"""Rank program of the ``mpi`` backend, and the per-command code every rank runs.

Started by ``MPIBackend.open`` as ``python -m kernels.mpi.rank`` through
``MPI.COMM_SELF.Spawn`` (``kernels.mpi.spawn``); the driver and the spawned ranks
``Merge`` into one intracommunicator where the driver is rank 0 and computes a
block too.  Another rank program (the seeds' ``kernels.seeds.mpi_rank``) reuses
this one's start-up, command loop and exit by calling ``main(its_rank_class)``.

Protocol (numpy buffers only, never pickles): rank 0 broadcasts a fixed int64
header ``[op, handle, n, ndim, dtype code]``, then every rank runs the command's
collectives in the same order:

* PUT: Scatterv of ``row_blocks(n, size)`` row blocks of an (n, n) matrix
  (ndim 2) or of an (n,) vector (ndim 1); each rank keeps only its block.
* MATVEC: Bcast x (n,), local ``block @ x``, Gatherv y (n,) to rank 0.
* VECTOR_SUM: local ``block.sum(dtype=float64)``, Reduce(SUM) to rank 0.
* FREE: drop the handle's block.  STOP: spawned ranks leave ``serve``.

This module imports mpi4py at its top: ``kernels.mpi.backend`` imports it only
inside ``open``, so importing the backend never needs MPI.
"""

import logging
import os
import sys
import time
import traceback

import numpy as np
from mpi4py import MPI
from threadpoolctl import threadpool_limits

from ..compiled.block_matvec import block_matvec
from ..validate import row_blocks
from . import SPIN_S
from .process_manager import die_with_parent

PUT, MATVEC, VECTOR_SUM, FREE, STOP, REST = range(1, 7)
HEADER_LEN = 5
#: dtype code (index) <-> numpy dtype, sent in the header
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
MPI_TYPES = (MPI.DOUBLE, MPI.FLOAT)

#: An idle worker spins for SPIN_S (``kernels.mpi``) after its last command,
#: then sleeps between polls (up to IDLE_SLEEP_MAX_S) so an idle backend does not
#: hold a core at 100%.  MPICH's own knobs (MPIR_CVAR_POLLS_BEFORE_YIELD,
#: MPIR_CVAR_ENABLE_HEAVY_YIELD) only sched_yield: the core still shows busy.
IDLE_SLEEP_MAX_S = 0.002


class Rank:
    """One rank's share of the data and the collectives of each command.

    ``comm``: intracommunicator with the driver as rank 0.  ``wait``: callable
    completing an MPI request (``Request.Wait`` on spawned ranks; on the driver
    a wait that notices dead ranks).  Blocks are kept in ``self.blocks`` as
    handle -> (block, rows per rank, first row per rank); a block is
    (rows, n) for a matrix or (rows,) for a vector, in the handle's dtype.
    """

    def __init__(self, comm, wait):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.wait = wait
        self.blocks = {}
        self._x = {}  # (n, dtype) -> receive buffer for x on ranks > 0

    def execute(self, header, data=None):
        """Run the command in ``header`` (int64 (HEADER_LEN,)) on this rank.

        ``data`` on rank 0 only: the host array (PUT) or x (MATVEC).  Returns,
        on rank 0, y (ndarray (n,)) for MATVEC and the float64 sum for VECTOR_SUM;
        None otherwise.  Raises ValueError for an unknown opcode.
        """
        op, handle, n, ndim, code = (int(v) for v in header)
        dtype, mpi_type = DTYPES[code], MPI_TYPES[code]
        if op == PUT:
            self._put(handle, n, ndim, dtype, mpi_type, data)
        elif op == MATVEC:
            return self._matvec(handle, n, dtype, mpi_type, data)
        elif op == VECTOR_SUM:
            return self._vector_sum(handle)
        elif op == FREE:
            self.blocks.pop(handle, None)
            self._x.clear()
        else:
            raise ValueError(f"unknown MPI backend opcode {op}")
        return None

    def _put(self, handle, n, ndim, dtype, mpi_type, array):
        bounds = row_blocks(n, self.size)
        rows = [stop - start for start, stop in bounds]
        firsts = [start for start, _ in bounds]
        width = n if ndim == 2 else 1  # elements per row
        mine = rows[self.rank]
        shape = (mine, n) if ndim == 2 else (mine,)
        old = self.blocks.get(handle)
        if old is not None and old[0].shape == shape and old[0].dtype == dtype:
            block = old[0]  # a refill (end-to-end placement pool): pages already touched
        else:
            block = np.empty(shape, dtype)
        send = None
        if self.rank == 0:
            send = [array, [r * width for r in rows], [f * width for f in firsts], mpi_type]
        self.wait(self.comm.Iscatterv(send, block, root=0))
        self.blocks[handle] = (block, rows, firsts)

    def _matvec(self, handle, n, dtype, mpi_type, x):
        block, rows, firsts = self.blocks[handle]
        if self.rank == 0:
            # Bcast's root buffer must be writable in mpi4py; a read-only x is copied.
            if not x.flags.writeable:
                x = x.copy()
        else:
            x = self._x.get((n, dtype))
            if x is None:
                x = self._x[(n, dtype)] = np.empty(n, dtype)
        self.wait(self.comm.Ibcast(x, root=0))
        y_local = np.empty(block.shape[0], dtype)
        block_matvec(block, x, y_local)
        y = np.empty(n, dtype) if self.rank == 0 else None
        recv = [y, rows, firsts, mpi_type] if self.rank == 0 else None
        self.wait(self.comm.Igatherv(y_local, recv, root=0))
        return y

    def _vector_sum(self, handle):
        block = self.blocks[handle][0]
        partial = np.array([block.sum(dtype=np.float64)])
        total = np.zeros(1) if self.rank == 0 else None
        self.wait(self.comm.Ireduce(partial, total, op=MPI.SUM, root=0))
        return float(total[0]) if self.rank == 0 else None


def _idle_wait(request, spin_s=SPIN_S):
    """Complete ``request``: spin ``spin_s`` seconds, then poll with growing sleeps."""
    if request.Test():
        return
    spin_until = time.perf_counter() + spin_s
    while not request.Test():
        if time.perf_counter() > spin_until:
            break
    else:
        return
    pause = 1e-5
    while not request.Test():
        time.sleep(pause)
        pause = min(pause * 2, IDLE_SLEEP_MAX_S)


def serve(comm, rank_class=Rank):
    """Serving ranks' loop: receive headers from rank 0 and run them until STOP.

    After REST the rank waits for the next header without spinning (sleeping
    polls only), so it leaves the cores to whatever rank 0 times next.
    """
    rank = rank_class(comm, wait=lambda req: req.Wait())
    header = np.empty(HEADER_LEN, np.int64)
    spin_s = SPIN_S
    while True:
        _idle_wait(comm.Ibcast(header, root=0), spin_s)
        if header[0] == STOP:
            return
        if header[0] == REST:
            spin_s = 0.0
            continue
        spin_s = SPIN_S
        rank.execute(header)


def log_to_stderr(rank):
    """Send this rank's log records (WARNING and above) to stderr, marked with its rank.

    MPICH's process manager forwards a rank's stderr to the driver's stderr.
    """
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format=f"parbench mpi rank {rank}: %(levelname)s %(name)s: %(message)s",
    )


def main(rank_class=Rank):
    """Entry point of a spawned rank: join the driver, serve ``rank_class``, disconnect.

    ``--check`` (the spawn pre-flight) returns at once: the program imports here.
    """
    if sys.argv[1:] == ["--check"]:
        return
    die_with_parent()  # nothing outlives the driver: see kernels.mpi.process_manager
    parent = MPI.Comm.Get_parent()
    if parent == MPI.COMM_NULL:
        sys.exit(f"{sys.argv[0]} is started by the mpi backend (MPI Spawn), not by hand")
    comm = parent.Merge(high=True)  # the driver merges low: it is rank 0
    log_to_stderr(comm.Get_rank())
    try:
        with threadpool_limits(limits=1, user_api="blas"):  # one busy thread per rank
            comm.Gather(np.array([os.getpid()], np.int64), None, root=0)
            serve(comm, rank_class)
        comm.Free()
        parent.Disconnect()
    except BaseException:
        # Exit hard: a normal exit would run MPI_Finalize, which waits for the
        # driver still connected to us, so the driver could never see us die.
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)


#: the per-command code of this program (rank 0 runs it too; see MPIBackend)
RANK_CLASS = Rank

if __name__ == "__main__":
    main()
