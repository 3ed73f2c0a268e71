"""The settings of one run, read once from the environment and passed down.

Environment switches (``Settings.from_environment``; every asv process of a run
and every measuring process sees the same values, since the measuring processes
get them in their plan, not from the environment):

* ``PARBENCH_SIZES``: ``default`` (the grid matvec N = 2**6 .. 2**13, sum N =
  2**10 .. 2**26, run up to 4x this machine's last-level cache: ``measuring.sizes``),
  ``full`` (the whole grid on any machine) or ``quick`` (a few small N, for CI
  and a first look).
* ``PARBENCH_BACKENDS``: comma-separated registry names to run (default: all seven).
* ``PARBENCH_WORKERS``: workers per backend (default: all cores of this process).
* ``PARBENCH_DTYPE``: ``float64`` (default) or ``float32``.
* ``PARBENCH_PROCESSES`` / ``PARBENCH_ROUNDS``: the paired measurement's most
  processes and alternation rounds per process (default 15 x 4, quick 6 x 2; at
  least 6 processes, the fewest a 95% interval of the median can be had from:
  ``measuring.intervals.min_processes``).  After 6, a process measures only the
  cases whose figures have not met their precision target (``measuring.stopping``).
* ``PARBENCH_PAIRED_BUDGET``: seconds the paired measurement may spend before it
  starts no further process beyond the first 6 (default: its phase's budget in
  ``measuring.phases``, 720; full 1800; quick 60).

Two more switches belong to the kernels library, which applies them to any user
of a backend, in or out of this suite: ``PARBENCH_MEMORY_LIMIT``
(``kernels.memory``) and ``PARBENCH_POOL_LIMIT`` (``kernels.placement_pool``).
``PARBENCH_MACHINE`` names the results folder (``measuring.process_records``).
"""

import dataclasses
import functools
import os

from .intervals import min_processes
from .phases import budget

SIZES = {
    "default": {"matvec": [2**k for k in range(6, 14)], "sum": [2**k for k in range(10, 27, 2)]},
    "quick": {"matvec": [16, 256], "sum": [16, 4096]},
}
SIZES["full"] = SIZES["default"]
#: the most processes and the rounds per process of each size set.  The interval
#: is over processes (``measuring.intervals``): from 9 on it drops the extreme
#: process at each end, so one bad process cannot widen it past its neighbours,
#: and 15 gives [x(4), x(12)] (96.5%).  After the first 6, processes measure only
#: the open cases, the cheapest first when the budget runs short
#: (``measuring.pairs``), so the cap is what a cheap case can reach in the budget.
#: quick: 6, the fewest a 95% interval of the median can be had from, 2 rounds each.
PAIRED_DEFAULTS = {"default": (15, 4), "full": (15, 4), "quick": (6, 2)}
#: seconds of the paired measurement after which no further process starts: the
#: phase's budget of the run (``measuring.phases``); ``full`` is opt-in and longer
PAIRED_BUDGET_S = {
    "default": float(budget("paired measurement")),
    "full": 1800.0,
    "quick": 60.0,
}
DTYPES = ("float64", "float32")

SIZES_ENV = "PARBENCH_SIZES"
BACKENDS_ENV = "PARBENCH_BACKENDS"
WORKERS_ENV = "PARBENCH_WORKERS"
DTYPE_ENV = "PARBENCH_DTYPE"
PROCESSES_ENV = "PARBENCH_PROCESSES"
ROUNDS_ENV = "PARBENCH_ROUNDS"
BUDGET_ENV = "PARBENCH_PAIRED_BUDGET"


@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures and how often.

    Attributes: ``size_set`` (a key of ``SIZES``), ``backends`` (registry names
    asked for, or None for all), ``workers`` (int, or None for all cores),
    ``dtype`` ("float64" or "float32"), ``processes`` (>= ``min_processes()``),
    ``rounds`` (>= 1) and ``budget_s`` (seconds, > 0) of the paired measurement.
    Raises ValueError for a value outside these.
    """

    size_set: str = "default"
    backends: tuple = None
    workers: int = None
    dtype: str = "float64"
    processes: int = PAIRED_DEFAULTS["default"][0]
    rounds: int = PAIRED_DEFAULTS["default"][1]
    budget_s: float = PAIRED_BUDGET_S["default"]

    def __post_init__(self):
        if self.size_set not in SIZES:
            raise ValueError(f"{SIZES_ENV}={self.size_set!r}; choose one of {', '.join(SIZES)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"{DTYPE_ENV}={self.dtype!r}; choose one of {', '.join(DTYPES)}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"{WORKERS_ENV}={self.workers}: at least 1 worker")
        least = min_processes()
        if self.processes < least:
            raise ValueError(
                f"{PROCESSES_ENV}={self.processes}: a 95% interval of the median needs"
                f" at least {least} processes"
            )
        if self.rounds < 1:
            raise ValueError(f"{ROUNDS_ENV}={self.rounds}: at least 1 round")
        if not self.budget_s > 0:
            raise ValueError(f"{BUDGET_ENV}={self.budget_s}: seconds > 0")

    @classmethod
    def from_environment(cls, environ=None):
        """The settings the PARBENCH_* switches of ``environ`` (default os.environ) ask for."""
        env = os.environ if environ is None else environ
        size_set = env.get(SIZES_ENV, "default")
        if size_set not in SIZES:
            raise ValueError(f"{SIZES_ENV}={size_set!r}; choose one of {', '.join(SIZES)}")
        processes, rounds = PAIRED_DEFAULTS[size_set]
        raw_backends = env.get(BACKENDS_ENV, "").strip()
        return cls(
            size_set=size_set,
            backends=tuple(b.strip() for b in raw_backends.split(",") if b.strip()) or None,
            workers=_int(env, WORKERS_ENV, None),
            dtype=env.get(DTYPE_ENV, "float64"),
            processes=_int(env, PROCESSES_ENV, processes),
            rounds=_int(env, ROUNDS_ENV, rounds),
            budget_s=_number(env, BUDGET_ENV, PAIRED_BUDGET_S[size_set]),
        )

    def as_dict(self):
        """A JSON-able dict; ``Settings(**d)`` makes the same settings again."""
        d = dataclasses.asdict(self)
        d["backends"] = list(self.backends) if self.backends is not None else None
        return d

    @classmethod
    def from_dict(cls, d):
        """The inverse of ``as_dict``."""
        d = dict(d)
        if d.get("backends") is not None:
            d["backends"] = tuple(d["backends"])
        return cls(**d)

    def sizes(self, kernel):
        """The N values of ``kernel`` ('matvec' or 'sum') in this size set's grid, ascending
        (asv's parameters: the same on every machine)."""
        return SIZES[self.size_set][kernel]

    def run_sizes(self, kernel, llc_bytes=None):
        """The N of ``sizes(kernel)`` this machine runs (``measuring.sizes.run_sizes``):
        up to 4x the last-level cache of ``llc_bytes`` bytes (default: this machine's),
        or the whole grid for ``full``."""
        from . import sizes

        if self.size_set in sizes.UNCAPPED:
            return self.sizes(kernel)
        if llc_bytes is None:
            llc_bytes = sizes.last_level_bytes()
        itemsize = 4 if self.dtype == "float32" else 8
        return sizes.run_sizes(self.sizes(kernel), kernel, llc_bytes, itemsize)

    def selected_backends(self, all_names):
        """The names of ``all_names`` these settings select, in registry order.

        Raises ValueError when a name asked for is not among ``all_names``.
        """
        if self.backends is None:
            return list(all_names)
        unknown = [b for b in self.backends if b not in all_names]
        if unknown:
            raise ValueError(
                f"{BACKENDS_ENV} names unknown backends {unknown}; known: {', '.join(all_names)}"
            )
        return [b for b in all_names if b in self.backends]


def _int(env, name, default):
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: not a whole number") from None


def _number(env, name, default):
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: not a number") from None


@functools.lru_cache(maxsize=1)
def current():
    """This process's settings, read from the environment once (ValueError if invalid)."""
    return Settings.from_environment()
