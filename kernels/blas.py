"""BLAS thread control (threadpoolctl), shared by every backend.

Why: OpenBLAS threads spin after each call; a numba or OpenMP kernel run next to
them was measured 6x slower here (numba matvec N=2048: 8.0 ms vs 1.3 ms).  So
every non-numpy backend pins BLAS to one thread while it is open, and the numpy
backend sets BLAS threads = workers.
"""

import os

from threadpoolctl import threadpool_info, threadpool_limits


class BlasThreads:
    """Holds BLAS at ``n`` threads from ``start()`` until ``stop()``."""

    def __init__(self, n):
        self.n = n
        self._limits = None

    def start(self):
        if self._limits is None:
            self._limits = threadpool_limits(limits=self.n, user_api="blas")
        return self

    def stop(self):
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None


def blas_description():
    """'vendor version (N threads, kernel K)' of every BLAS loaded in this process.

    The kernel is the CPU code path the BLAS picked (OpenBLAS's "architecture",
    e.g. SkylakeX): OPENBLAS_CORETYPE, set on some machines, forces an older and
    slower one, so a run records which one it measured (and the variable if set).
    """
    parts = []
    for i in threadpool_info():
        if i.get("user_api") != "blas":
            continue
        kernel = f", kernel {i['architecture']}" if i.get("architecture") else ""
        parts.append(
            f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads{kernel})"
        )
    forced = os.environ.get("OPENBLAS_CORETYPE")
    if forced:
        parts.append(f"OPENBLAS_CORETYPE={forced}")
    return "; ".join(parts) or "no BLAS loaded"
