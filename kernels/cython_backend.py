"""cython-openmp backend: the Cython extension ``kernels._openmp`` (prange, nogil, OpenMP).

Threads = workers, passed to each ``prange(num_threads=...)``; static schedule,
so each thread owns one contiguous row block / vector block.

Small inputs run on one thread (OpenMP's ``if`` clause, as OpenBLAS's gemv does):
below ``SERIAL_BELOW`` elements read (N for the sum, N*N for the matvec) the
kernel is called with one thread, because waking the team costs more than the
second thread saves.  Measured here (2 cores, medians in one process, 1 vs 2
threads): matvec N=32 1.6 vs 3.6 us, N=64 1.9 vs 2.1 us, N=128 2.9 vs 2.6 us;
sum N=4096 1.6 vs 1.7 us, N=16384 2.8 vs 2.3 us.  ``describe()`` records it.
"""
import math

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


#: Inputs with fewer elements than this (N for sum, N*N for matvec) run on one
#: thread; see the module docstring for the measurement behind it.
SERIAL_BELOW = 1 << 13


class CythonOpenMPBackend(Backend):
    name = "cython-openmp"
    data_is_remote = False
    serial_below = SERIAL_BELOW

    def _open(self):
        self._ext = load_extension()
        self._blas = BlasThreads(1).start()
        side = math.isqrt(SERIAL_BELOW - 1) + 1     # smallest N with N*N >= SERIAL_BELOW
        A = np.ones((side, side), self.dtype)       # warm the OpenMP thread team
        self._matvec(A, side, A[0])

    def _close(self):
        self._blas.stop()

    def describe(self):
        omp = self._ext.openmp_version() if self.is_open else 0
        return {**super().describe(), "openmp": f"_OPENMP={omp}", "omp_threads": str(self.workers)}

    def _threads(self, elements):
        return 1 if self._one_thread(elements) else self.workers

    def _put(self, array):
        return array

    def _matvec(self, A, n, x):
        y = np.empty(n, self.dtype)
        self._ext.matvec(A, x, y, self._threads(n * n))
        return y

    def _sum(self, a, n):
        return self._ext.vector_sum(a, self._threads(n))
