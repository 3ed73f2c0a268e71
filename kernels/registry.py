"""Backend names -> classes, imported lazily so a missing library only affects its backend.

Adding a backend: write one module with a Backend subclass and add one line here.
"""
import importlib

from .base import BackendUnavailable

#: registry name -> "module:Class" (module relative to the kernels package)
_BACKENDS = {
    "numpy": "numpy_backend:NumpyBackend",
    "numba": "numba_backend:NumbaBackend",
    "cython-openmp": "cython_backend:CythonOpenMPBackend",
    "opencl": "opencl_backend:OpenCLBackend",
    "multiprocessing": "multiprocessing_backend:MultiprocessingBackend",
    "mpi": "mpi_backend:MPIBackend",
}

#: every registry name, in the order used by the CLI, asv and the plots
BACKENDS = tuple(_BACKENDS)


def backend_class(name):
    """Return the Backend subclass registered as ``name``.

    Raises ValueError for an unknown name (listing the known ones) and
    BackendUnavailable if its module cannot be imported here.
    """
    try:
        target = _BACKENDS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}") from None
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(f".{module_name}", __package__)
    except ImportError as exc:
        raise BackendUnavailable(f"backend {name!r} cannot be imported: {exc}") from exc
    return getattr(module, class_name)


def get_backend(name, workers=None, dtype="float64"):
    """Return an unopened backend; use it as ``with get_backend(...) as be:``.

    ``workers``: int >= 1 or None for all cores; ``dtype``: float64 or float32.
    Raises ValueError (unknown name), TypeError/ValueError (bad workers or
    dtype), BackendUnavailable (cannot be imported here).
    """
    return backend_class(name)(workers=workers, dtype=dtype)
