"""numba backend: ``@njit(parallel=True)`` with ``prange`` over row blocks / vector blocks.

Threads = workers (``numba.set_num_threads``).  Compilation (for the backend's
dtype) and one warm call happen in ``open()``, never in a timed call.

Small inputs run serially: below ``SERIAL_BELOW`` elements read (N for the sum,
N*N for the matvec) the same loop runs on one thread, compiled without
``parallel=True``, because starting the parallel region costs more than the
second thread saves (OpenBLAS does the same in gemv).  Measured on the 2-core
development machine (omp threading layer, medians in one process): sum N=2**18
22.4 us serial vs 24.0 us parallel, N=2**19 44.2 vs 35.6 us; matvec N=256 6.8 vs 11.8 us, N=512
33.0 vs 28.8 us; sum N=1024 0.3 vs 8.8 us.  ``describe()["serial_below"]`` records it.
"""

import math

import numpy as np

from ..base import Backend, BackendUnavailable
from ..blas import BlasThreads
from ..validate import row_blocks

_compiled = None

#: Inputs with fewer elements than this (N for sum, N*N for matvec) run on one
#: thread; see the module docstring for the measurement behind it.
SERIAL_BELOW = 1 << 18


# reassoc lets LLVM vectorise the dot products and the sum (reordering
# additions); no 'nnan'/'ninf', so NaN and inf still propagate as in numpy.
_FASTMATH = {"reassoc", "contract"}


def _compile():
    """Build the kernels once per process (numba caches them on disk too).

    Returns (numba, (parallel matvec, parallel sum), (serial matvec, serial sum)).
    """
    global _compiled
    if _compiled is None:
        import numba

        serial = _serial_loops(numba)
        _compiled = (numba, _parallel_kernels(numba, *serial), serial)
    return _compiled


def _serial_loops(numba):
    """The one-thread row loop and sum loop (the parallel kernels call them per block)."""
    fm = _FASTMATH

    # One compiled row loop and one compiled sum loop, called by the parallel
    # kernels for each block and by the backend directly (the whole input) for
    # inputs below SERIAL_BELOW.  Two dispatchers of one Python function would
    # not do: numba's on-disk cache is indexed by function (qualname and line),
    # not by the parallel flag, so both would load whichever variant was cached
    # first, and the "parallel" kernels could run on one thread.
    @numba.njit(fastmath=fm, cache=True)
    def matvec_rows(A, x, y, start, stop):
        # 4 rows per pass: each x[j] loaded serves 4 rows (as in the Cython
        # kernel, whose docstring has the measurement)
        zero = A.dtype.type(0)
        i = start
        while i + 4 <= stop:
            r0, r1, r2, r3 = A[i], A[i + 1], A[i + 2], A[i + 3]
            s0 = s1 = s2 = s3 = zero
            for j in range(x.shape[0]):
                xj = x[j]
                s0 += r0[j] * xj
                s1 += r1[j] * xj
                s2 += r2[j] * xj
                s3 += r3[j] * xj
            y[i], y[i + 1], y[i + 2], y[i + 3] = s0, s1, s2, s3
            i += 4
        for k in range(i, stop):  # the last (stop - start) % 4 rows
            row = A[k]
            acc = zero
            for j in range(row.shape[0]):
                acc += row[j] * x[j]
            y[k] = acc

    @numba.njit(fastmath=fm, cache=True)
    def sum_of(block):
        # over a whole array or slice: measured here, a range(start, stop) loop
        # over the full array is not vectorised (27 ms vs 4.4 ms, N=2**24)
        acc = 0.0  # float64 accumulator whatever the dtype
        for i in range(block.shape[0]):
            acc += block[i]
        return acc

    return matvec_rows, sum_of


def _parallel_kernels(numba, matvec_rows, sum_of):
    """The prange kernels: one iteration per row block / vector block."""
    fm = _FASTMATH

    @numba.njit(parallel=True, fastmath=fm, cache=True)
    def matvec(A, x, y, starts, stops):
        # one prange iteration per row block: static row-block decomposition
        for b in numba.prange(starts.shape[0]):
            matvec_rows(A, x, y, starts[b], stops[b])

    @numba.njit(parallel=True, fastmath=fm, cache=True)
    def block_sum(a, starts, stops, partials):
        for b in numba.prange(starts.shape[0]):
            partials[b] = sum_of(a[starts[b] : stops[b]])

    return matvec, block_sum


class NumbaBackend(Backend):
    name = "numba"
    data_is_remote = False
    serial_below = SERIAL_BELOW

    def _open(self):
        try:
            numba, (self._matvec_k, self._sum_k), (self._matvec_1, self._sum_1) = _compile()
        except ImportError as exc:
            raise BackendUnavailable(f"numba cannot be imported: {exc}") from exc
        if self.workers > numba.config.NUMBA_NUM_THREADS:
            raise BackendUnavailable(
                f"numba was started with NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}"
                f" < workers={self.workers}"
            )
        self._numba = numba
        self._blas = BlasThreads(1).start()
        numba.set_num_threads(self.workers)
        self._blocks = {}
        # compile both variants for this dtype and warm the thread pool before any
        # timing: n=3 runs serially, n*n or n = SERIAL_BELOW in parallel
        ones, side = np.ones(SERIAL_BELOW, self.dtype), math.isqrt(SERIAL_BELOW - 1) + 1
        for n in (3, side):
            self._matvec(ones[: n * n].reshape(n, n), n, ones[:n])
        for n in (3, SERIAL_BELOW):
            self._vector_sum(ones[:n], n)

    def _close(self):
        self._blas.stop()
        self._blocks.clear()

    def describe(self):
        return {
            **super().describe(),
            "numba": self._numba.__version__ if self.is_open else "",
            "threading_layer": self._threading_layer(),
        }

    def _threading_layer(self):
        try:
            return self._numba.threading_layer()
        except Exception:  # only known after the first parallel call
            return "unknown"

    def _bounds(self, n):
        if n not in self._blocks:
            b = np.array(row_blocks(n, self.workers), dtype=np.int64).reshape(-1, 2)
            self._blocks[n] = (np.ascontiguousarray(b[:, 0]), np.ascontiguousarray(b[:, 1]))
        return self._blocks[n]

    def _put(self, array):
        return array

    def _matvec(self, A, n, x):
        y = np.empty(n, self.dtype)
        if self._one_thread(n * n):
            self._matvec_1(A, x, y, 0, n)
        else:
            self._matvec_k(A, x, y, *self._bounds(n))
        return y

    def _vector_sum(self, a, n):
        if self._one_thread(n):
            return self._sum_1(a)
        starts, stops = self._bounds(n)
        partials = np.empty(len(starts), np.float64)
        self._sum_k(a, starts, stops, partials)
        return partials.sum()
