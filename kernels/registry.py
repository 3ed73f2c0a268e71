"""Backend names -> classes, imported lazily so a missing library only affects its backend.

Adding a backend: one folder ``kernels/<name>/`` (``__init__.py`` and
``backend.py`` with a ``kernels.base.Backend`` subclass) and one line here.
This module holds data only, so the report (through ``kernels.facts``) can read
the names without importing any backend.
"""

import importlib

#: registry name -> "module:Class" (module relative to the kernels package); the
#: order is the order of the CLI, asv's parameters, tables and figure legends
REGISTRY = {
    "numpy": "numpy.backend:NumpyBackend",
    "numba": "numba.backend:NumbaBackend",
    "cython-openmp": "cython_openmp.backend:CythonOpenMPBackend",
    "opencl": "opencl.backend:OpenCLBackend",
    "multiprocessing": "multiprocessing.backend:MultiprocessingBackend",
    "mpi": "mpi.backend:MPIBackend",
    "ipyparallel": "ipyparallel.backend:IPyParallelBackend",
}

#: every registry name, in registry order
BACKENDS = tuple(REGISTRY)


def backend_class(name):
    """Return the Backend subclass registered as ``name``.

    Raises ValueError for an unknown name (listing the known ones) and
    BackendUnavailable if its module cannot be imported here.
    """
    from .base import BackendUnavailable

    try:
        target = REGISTRY[name]
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
