"""cython-openmp backend: the Cython extension ``kernels._openmp`` (prange, nogil, OpenMP).

Threads = workers, passed to each ``prange(num_threads=...)``; static schedule,
so each thread owns one contiguous row block / vector block.
"""
import numpy as np

from ._threads import BlasThreads
from .base import Backend, BackendUnavailable


def load_extension():
    """Return the compiled module ``kernels._openmp``; BackendUnavailable if not built."""
    try:
        from . import _openmp
    except ImportError as exc:
        raise BackendUnavailable(
            "the Cython+OpenMP extension kernels._openmp is not built"
            f" ({exc}); build it with `pip install .` or"
            " `python setup.py build_ext --inplace`") from exc
    return _openmp


class CythonOpenMPBackend(Backend):
    name = "cython-openmp"
    data_is_remote = False

    def _open(self):
        self._ext = load_extension()
        self._blas = BlasThreads(1).start()
        A = np.ones((3, 3), self.dtype)  # warm the OpenMP thread team
        self._matvec(A, 3, A[0])

    def _close(self):
        self._blas.stop()

    def describe(self):
        omp = self._ext.openmp_version() if self.is_open else 0
        return {**super().describe(), "openmp": f"_OPENMP={omp}", "omp_threads": str(self.workers)}

    def _put(self, array):
        return array

    def _matvec(self, A, n, x):
        y = np.empty(n, self.dtype)
        self._ext.matvec(A, x, y, self.workers)
        return y

    def _sum(self, a, n):
        return self._ext.vector_sum(a, self.workers)
