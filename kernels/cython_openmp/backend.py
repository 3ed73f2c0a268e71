"""cython-openmp backend: the Cython+OpenMP loops ``kernels.compiled.openmp_loops``.

Threads = workers, passed to each ``prange(num_threads=...)``; static schedule,
so each thread owns one contiguous row block / vector block.

Small inputs run on one thread (OpenMP's ``if`` clause, as OpenBLAS's gemv does):
below ``SERIAL_BELOW`` elements read (N for the sum, N*N for the matvec) the
loop is called with one thread, because waking the team costs more than the
second thread saves.  Measured on the 2-core development machine (medians in one
process, 1 vs 2 threads): matvec N=32 1.6 vs 3.6 us, N=64 1.9 vs 2.1 us, N=128
2.9 vs 2.6 us; sum N=4096 1.6 vs 1.7 us, N=16384 2.8 vs 2.3 us.
``describe()`` records the threshold.
"""

import math

import numpy as np

from ..base import Backend
from ..blas import BlasThreads
from ..compiled import load_openmp_loops

#: Inputs with fewer elements than this (N for sum, N*N for matvec) run on one
#: thread; see the module docstring for the measurement behind it.
SERIAL_BELOW = 1 << 13


class CythonOpenMPBackend(Backend):
    name = "cython-openmp"
    data_is_remote = False
    serial_below = SERIAL_BELOW

    def _open(self):
        self._loops = load_openmp_loops()
        self._blas = BlasThreads(1).start()
        side = math.isqrt(SERIAL_BELOW - 1) + 1  # smallest N with N*N >= SERIAL_BELOW
        A = np.ones((side, side), self.dtype)  # warm the OpenMP thread team
        self._matvec(A, side, A[0])

    def _close(self):
        self._blas.stop()

    def describe(self):
        omp = self._loops.openmp_version() if self.is_open else 0
        return {**super().describe(), "openmp": f"_OPENMP={omp}", "omp_threads": str(self.workers)}

    def _threads(self, elements):
        return 1 if self._one_thread(elements) else self.workers

    def _put(self, array):
        return array

    def _matvec(self, A, n, x):
        y = np.empty(n, self.dtype)
        self._loops.matvec(A, x, y, self._threads(n * n))
        return y

    def _vector_sum(self, a, n):
        return self._loops.vector_sum(a, self._threads(n))
