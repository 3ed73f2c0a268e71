"""numba backend: ``@njit(parallel=True)`` with ``prange`` over row blocks / vector blocks.

Threads = workers (``numba.set_num_threads``).  Compilation (for the backend's
dtype) and one warm call happen in ``open()``, never in a timed call.
"""
import numpy as np

from ._threads import BlasThreads
from ._validate import row_blocks
from .base import Backend, BackendUnavailable

_compiled = None


def _compile():
    """Build the two kernels once per process (numba caches them on disk too)."""
    global _compiled
    if _compiled is None:
        import numba

        # reassoc lets LLVM vectorise the dot products and the sum (reordering
        # additions); no 'nnan'/'ninf', so NaN and inf still propagate as in numpy.
        fm = {"reassoc", "contract"}

        @numba.njit(parallel=True, fastmath=fm, cache=True)
        def matvec(A, x, y, starts, stops):
            # one prange iteration per row block: static row-block decomposition
            for b in numba.prange(starts.shape[0]):
                for i in range(starts[b], stops[b]):
                    row = A[i]
                    acc = A.dtype.type(0)
                    for j in range(row.shape[0]):
                        acc += row[j] * x[j]
                    y[i] = acc

        @numba.njit(parallel=True, fastmath=fm, cache=True)
        def block_sum(a, starts, stops, partials):
            for b in numba.prange(starts.shape[0]):
                # Loop over a slice, not range(start, stop): measured here, the
                # range(start, stop) form is not vectorised (27 ms vs 4.4 ms, N=2**24).
                block = a[starts[b]:stops[b]]
                acc = 0.0  # float64 accumulator whatever a's dtype
                for i in range(block.shape[0]):
                    acc += block[i]
                partials[b] = acc

        _compiled = (numba, matvec, block_sum)
    return _compiled


class NumbaBackend(Backend):
    name = "numba"
    data_is_remote = False

    def _open(self):
        try:
            numba, self._matvec_k, self._sum_k = _compile()
        except ImportError as exc:
            raise BackendUnavailable(f"numba cannot be imported: {exc}") from exc
        if self.workers > numba.config.NUMBA_NUM_THREADS:
            raise BackendUnavailable(
                f"numba was started with NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}"
                f" < workers={self.workers}")
        self._numba = numba
        self._blas = BlasThreads(1).start()
        numba.set_num_threads(self.workers)
        self._blocks = {}
        # compile for this dtype and warm the thread pool before any timing
        A = np.ones((3, 3), self.dtype)
        self._matvec(A, 3, np.ones(3, self.dtype))
        self._sum(A[0], 3)

    def _close(self):
        self._blas.stop()
        self._blocks.clear()

    def describe(self):
        return {**super().describe(),
                "numba": self._numba.__version__ if self.is_open else "",
                "threading_layer": self._threading_layer()}

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
        starts, stops = self._bounds(n)
        self._matvec_k(A, x, y, starts, stops)
        return y

    def _sum(self, a, n):
        starts, stops = self._bounds(n)
        partials = np.empty(len(starts), np.float64)
        self._sum_k(a, starts, stops, partials)
        return partials.sum()
