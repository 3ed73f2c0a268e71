"""Scheduler names -> classes, imported lazily so a missing library only affects its scheduler.

Adding a scheduler: a ``farm.base.Scheduler`` subclass in a module of ``farm``
and one line here.  Data only, like ``kernels.registry``: the report reads the
names and kinds without importing any scheduler.
"""

import importlib

#: registry name -> ("module:Class" relative to the farm package, kind); the order is
#: the order of asv's parameters, tables and figure panels: static ones first
REGISTRY = {
    "mpi-block": ("mpi:MPIBlock", "static"),
    "pool-map": ("pool:PoolMap", "static"),
    "ipyparallel-direct": ("ipp:DirectViewFarm", "static"),
    "ipyparallel-balanced": ("ipp:LoadBalancedFarm", "dynamic"),
    "pool-imap": ("pool:PoolImap", "dynamic"),
    "process-pool": ("pool:ProcessPool", "dynamic"),
    "mpi-futures": ("mpi:MPIFutures", "dynamic"),
}

#: every registry name, in registry order
SCHEDULERS = tuple(REGISTRY)
#: registry name -> "static" or "dynamic"
KINDS = {name: kind for name, (_, kind) in REGISTRY.items()}


def scheduler_class(name):
    """The Scheduler subclass registered as ``name``.

    Raises ValueError for an unknown name (listing the known ones) and
    BackendUnavailable if its module cannot be imported here.
    """
    from kernels.base import BackendUnavailable

    try:
        target = REGISTRY[name][0]
    except (KeyError, TypeError):
        raise ValueError(f"unknown scheduler {name!r}; known: {', '.join(SCHEDULERS)}") from None
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(f".{module_name}", __package__)
    except ImportError as exc:
        raise BackendUnavailable(f"scheduler {name!r} cannot be imported: {exc}") from exc
    return getattr(module, class_name)


def get_scheduler(name, workers=None):
    """An unopened scheduler; use it as ``with get_scheduler(...) as s:``.

    ``workers``: int >= 1 or None for all cores.  Raises ValueError (unknown
    name), TypeError/ValueError (bad workers), BackendUnavailable.
    """
    return scheduler_class(name)(workers=workers)
