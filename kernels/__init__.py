"""parbench kernels: a dense matvec and a vector sum in six parallel backends.

Usage::

    import numpy as np
    from kernels import get_backend
    with get_backend("numba", workers=2) as be:
        y = be.matvec(be.put(A), x)     # A: (N, N) float64, x: (N,) float64

See ``kernels.base`` for the contract and ``python -m kernels`` for what runs here.
"""

from .base import Backend, BackendClosed, BackendUnavailable, Resident, WorkerError
from .registry import BACKENDS, backend_class, get_backend

__all__ = [
    "Backend",
    "BackendClosed",
    "BackendUnavailable",
    "Resident",
    "WorkerError",
    "BACKENDS",
    "backend_class",
    "get_backend",
]
