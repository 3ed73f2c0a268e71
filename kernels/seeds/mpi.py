"""``seed-mpi`` and ``seed-mpi-allreduce`` (seeds 000, 003, 004) on the mpi backend's ranks."""

import numpy as np

from ..base import BackendUnavailable
from ..mpi.backend import MPIBackend
from .base import SeedVersion
from .nb_sum import nb_sum_kernel


class SeedMPI(SeedVersion, MPIBackend):
    """Seed 004's matvec and seed 000's psum on persistent spawned ranks.

    Lifecycle, rank start-up, liveness checks and shutdown are the ``mpi``
    backend's (this is a subclass): the ranks run ``kernels.seeds.mpi_rank``,
    which serves the same command headers with the seeds' code.  The command
    header (one small Ibcast per call, as in the ``mpi`` backend) replaces the
    seeds' way of starting the call on every rank (mpirun of a script or
    ipyparallel's ``%px``), so only the kernels' own communication differs.
    Blocking MPI calls as in the seeds: a rank dying mid-call hangs the driver
    (the ``mpi`` backend's checks cover only the header).
    """

    name = "seed-mpi"
    compares_to = "mpi"
    seed = "004: mpi-matrix-vector.py (bcast x, Allgather); 000: psum (scatter, nb_sum, reduce)"
    rank_program = "kernels.seeds.mpi_rank"
    #: False: seed 000's psum (scatter, nb_sum, reduce); True: seed 004's (Allreduce)
    sum_allreduce = False

    def _open(self):
        try:
            nb_sum_kernel()  # numba importable here (the ranks need it too)
        except ImportError as exc:
            raise BackendUnavailable(f"{self.name} needs numba: {exc}") from exc
        super()._open()  # the driver (rank 0) runs the program's RANK_CLASS, SeedRank
        try:  # compile nb_sum on every rank and warm the kernels before any timing
            A = np.ones((3, 3), self.dtype)
            if "matvec" in self.kernels:
                handle = self._put(A)
                self._matvec(handle, 3, A[0])
                self._free(handle)
            handle = self._put(A[0])
            self._vector_sum(handle, 3)
            self._free(handle)
        except BaseException:
            self._close()  # base.close() does nothing after a failed open
            raise

    def _matvec(self, handle, n, x):
        return self._command(self._w.MATVEC, handle, n, 2, x)

    def _vector_sum(self, handle, n):
        op = self._w.SUM_ALLREDUCE if self.sum_allreduce else self._w.SUM_SCATTER
        return self._command(op, handle, n, 1)


class SeedMPIAllreduce(SeedMPI):
    """Seed 004's ``mpi-psum.py``: local ``np.sum`` of each rank's slice, ``Allreduce``."""

    name = "seed-mpi-allreduce"
    kernels = ("sum",)
    seed = "004: mpi-psum.py (np.sum of the rank's slice, Allreduce); 003: psum (Allreduce)"
    sum_allreduce = True

    def _matvec(self, handle, n, x):
        raise self._missing("matvec")
