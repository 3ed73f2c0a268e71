"""numpy backend: ``A @ x`` (BLAS dgemv/sgemv) and ``numpy.sum``; BLAS threads = workers.

numpy with workers=1 is the serial baseline every speedup is measured against.
"""

from threadpoolctl import threadpool_limits

from ..base import Backend
from ..blas import BlasThreads, blas_description


class NumpyBackend(Backend):
    name = "numpy"
    data_is_remote = False

    def _open(self):
        # BLAS parallelises the matvec; numpy.sum stays single-threaded whatever
        # the setting (numpy's reductions are not threaded).
        self._blas = BlasThreads(self.workers).start()

    def _close(self):
        self._blas.stop()

    def claim_threads(self):
        # the limit set here is undone by close(), which restores the limits of open()
        threadpool_limits(limits=self.workers, user_api="blas")

    def describe(self):
        return {**super().describe(), "blas": blas_description()}

    def _put(self, array):
        return array  # host memory is where numpy keeps data

    def _matvec(self, A, n, x):
        return A @ x

    def _vector_sum(self, a, n):
        return a.sum()
