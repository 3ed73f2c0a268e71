"""``seed-multiprocessing`` (seed 004): ``Pool.map`` over pickled row blocks (``kernels.seeds``)."""

import multiprocessing

import numpy as np

from ..blas import BlasThreads, blas_description
from .base import SeedVersion

_pool_blas = None


def _pin_blas():
    """Pool initializer: one BLAS thread per worker process (kept for its lifetime)."""
    global _pool_blas
    from threadpoolctl import threadpool_limits

    _pool_blas = threadpool_limits(limits=1, user_api="blas")


def _dot_block(args):
    """One task of the seed's pool.map: (row block of A, x) -> block @ x."""
    block, x = args
    return np.dot(block, x)


def _sum_chunk(chunk):
    """One task of the pool.map sum: the chunk's sum (float64 accumulation)."""
    return np.sum(chunk, dtype=np.float64)


class SeedMultiprocessing(SeedVersion):
    name = "seed-multiprocessing"
    compares_to = "multiprocessing"
    seed = "004: multiprocessing.Pool + pool.map"
    data_is_remote = False  # the blocks stay in the driver and are pickled every call

    def _open(self):
        self._blas = BlasThreads(1).start()
        ctx = multiprocessing.get_context("spawn")
        self._pool = ctx.Pool(processes=self.workers, initializer=_pin_blas)
        try:  # every worker has started and imported numpy before any timing
            one = (np.zeros((1, 1), self.dtype), np.zeros(1, self.dtype))
            self._pool.map(_dot_block, [one] * self.workers, chunksize=1)
        except BaseException:
            self._close()
            raise

    def _close(self):
        pool, self._pool = getattr(self, "_pool", None), None
        if pool is not None:
            pool.terminate()  # what `with Pool() as pool:` does on exit
            pool.join()
        self._blas.stop()

    def describe(self):
        return {**super().describe(), "start_method": "spawn", "blas": blas_description()}

    def _put(self, array):
        # row blocks of A (or chunks of a) made once, kept in the driver as views
        return np.array_split(array, self.workers)

    def _matvec(self, blocks, n, x):
        parts = self._pool.map(_dot_block, [(block, x) for block in blocks])
        return np.concatenate(parts)

    def _vector_sum(self, chunks, n):
        return sum(self._pool.map(_sum_chunk, chunks))
