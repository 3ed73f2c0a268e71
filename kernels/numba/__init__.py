"""numba backend: ``@njit(parallel=True)`` with ``prange``; see ``backend``."""
