"""Rank program of the ``seed-mpi`` variants: the seeds' MPI kernels, per command.

Started by ``kernels.seeds.SeedMPI`` (a subclass of the ``mpi`` backend) as
``python -m kernels.seeds.mpi_rank``.  Start-up, the command header loop and
shutdown are ``kernels.mpi.rank``'s (same header, same opcodes
PUT/MATVEC/FREE/STOP/REST; ``main`` hands it ``SeedRank``); only what a command does
differs, written as the seeds write it (Python 3, blocks by
``numpy.array_split`` rules):

* PUT: every rank keeps the whole array (the seeds' ranks each ``numpy.load``
  it, or get it from ``view['x'] = ...``); placed with Bcast (setup only).
* MATVEC (seed 004, ``mpi-matrix-vector.py``): ``comm.bcast(x)`` (pickled),
  ``numpy.dot`` of the rank's rows, ``Allgather`` of the parts into y on every
  rank (``Allgatherv`` here: blocks may differ by one row).
* SUM_SCATTER (seed 000, ``psum``): rank 0 ``np.array_split``s the array,
  ``comm.scatter`` (pickled chunks), ``nb_sum`` (serial numba),
  ``comm.reduce(op=MPI.SUM)`` to rank 0.
* SUM_ALLREDUCE (seed 004, ``mpi-psum.py``): ``np.sum`` of the rank's slice,
  ``Allreduce`` of one double into every rank.

The seeds' calls are blocking; so are these (except PUT's, which is setup).
"""

import numpy as np
from mpi4py import MPI

from ..mpi import rank as mpi_rank_program
from ..mpi.rank import (
    DTYPES,
    FREE,
    HEADER_LEN,
    MATVEC,
    MPI_TYPES,
    PUT,
    REST,
    STOP,
    VECTOR_SUM,
)
from ..validate import row_blocks
from .nb_sum import nb_sum_kernel

__all__ = [
    "DTYPES",
    "FREE",
    "HEADER_LEN",
    "MATVEC",
    "PUT",
    "REST",
    "STOP",
    "VECTOR_SUM",
    "SUM_SCATTER",
    "SUM_ALLREDUCE",
    "SeedRank",
    "RANK_CLASS",
    "main",
]

#: seed 000's psum is the VECTOR_SUM of the ``mpi`` protocol's numbering; 004's is new,
#: numbered after the protocol's last opcode
SUM_SCATTER = VECTOR_SUM
SUM_ALLREDUCE = REST + 1


class SeedRank(mpi_rank_program.Rank):
    """One rank's copies of the resident arrays and the seeds' code per command.

    A ``kernels.mpi.rank.Rank`` (same communicator fields, same ``execute``
    interface) whose commands are the seeds': ``execute(header, data)`` returns
    y (MATVEC) or the sum (SUM_*) on rank 0, None elsewhere.
    """

    def __init__(self, comm, wait):
        super().__init__(comm, wait)
        self.arrays = {}
        self.nb_sum = nb_sum_kernel()

    def execute(self, header, data=None):
        op, handle, n, ndim, code = (int(v) for v in header)
        dtype, mpi_type = DTYPES[code], MPI_TYPES[code]
        if op == PUT:
            self._put(handle, n, ndim, dtype, mpi_type, data)
        elif op == MATVEC:
            return self._matvec(self.arrays[handle], n, mpi_type, data)
        elif op == SUM_SCATTER:
            return self._psum_scatter(self.arrays[handle])
        elif op == SUM_ALLREDUCE:
            return self._psum_allreduce(self.arrays[handle], n)
        elif op == FREE:
            self.arrays.pop(handle, None)
        else:
            raise ValueError(f"unknown seed MPI opcode {op}")
        return None

    def _put(self, handle, n, ndim, dtype, mpi_type, array):
        if self.rank == 0:
            if not array.flags.writeable:  # mpi4py wants a writable Bcast buffer
                array = array.copy()
        else:
            array = np.empty((n, n) if ndim == 2 else (n,), dtype)
        self.wait(self.comm.Ibcast([array, mpi_type], root=0))
        self.arrays[handle] = array

    def _matvec(self, A, n, mpi_type, x):
        comm, rank = self.comm, self.rank
        x = comm.bcast(x, root=0)
        bounds = row_blocks(n, self.size)
        lo, hi = bounds[rank]
        y_part = np.dot(A[lo:hi], x)
        y = np.zeros_like(x)
        counts = [stop - start for start, stop in bounds]
        displs = [start for start, _ in bounds]
        comm.Allgatherv([y_part, mpi_type], [y, counts, displs, mpi_type])
        return y if rank == 0 else None

    def _psum_scatter(self, x):
        comm, rank, size = self.comm, self.rank, self.size
        if rank == 0:
            data = np.array_split(x, size)
        else:
            data = None
        data = comm.scatter(data, root=0)
        local_sum = self.nb_sum(data)
        all_sum = comm.reduce(local_sum, root=0, op=MPI.SUM)
        return all_sum if rank == 0 else None

    def _psum_allreduce(self, a, n):
        lo, hi = row_blocks(n, self.size)[self.rank]
        locsum = np.array(np.sum(a[lo:hi], dtype=np.float64))
        rcvBuf = np.array(0.0, "d")
        self.comm.Allreduce([locsum, MPI.DOUBLE], [rcvBuf, MPI.DOUBLE], op=MPI.SUM)
        return float(rcvBuf) if self.rank == 0 else None


#: the per-command code of this program (rank 0 runs it too; see MPIBackend)
RANK_CLASS = SeedRank


def main():
    """Entry point of a spawned rank: ``kernels.mpi.rank.main`` serving SeedRank."""
    mpi_rank_program.main(SeedRank)


if __name__ == "__main__":
    main()
