"""The table of the paired figures: asv name, quantity, kernel, mode, unit, parameters of each.

Every figure of the paired measurement (``measuring.pairs``) is written here
once.  benchmarks/paired.py, roof.py and seeds.py make their asv classes from
this table (``benchmarks.common.figure_classes``), and the report reads the
results by the same names (``benchmarks.report.records``), so a figure's name,
methods and key are never spelled twice.

asv stores one number per ``track_`` benchmark, so each figure is three
benchmarks of the same parameters: the estimate and the two 95% bounds
(``Figure.methods``), except the absolute times of suite.py (``track_time``,
the estimate alone: the number asv's users follow across commits).  A figure's
cache key in ``measuring.pairs`` is (quantity, kernel, mode, backend, N):
``Figure.key`` makes it from the asv parameters.

Parameter axes (``Figure.axes``; ``axis_values`` gives their values under a
run's settings):

* ``mode``: the figure's one mode (each mode is a class of its own: asv runs
  every parameter combination in a process of its own, and a cross product of
  modes with backends would spend hundreds on combinations that do not exist);
* ``backend``: every selected backend; ``remote``: those whose data lives away
  from the host; ``library``: those with the library's own calls
  (``reference_calls``); ``numpy``: the serial baseline alone;
* ``N``: the size set's N of the kernel; ``at``: ``LIBRARY_POINTS``;
* ``kernel``: both kernels; ``kernel:variant``: every seed variant, keyed at the
  largest seed N (``seed_size``).
"""

import dataclasses

from kernels.facts import KERNELS

#: where ``library ratio`` is measured (its N in the key): the floor, and the largest N
LIBRARY_POINTS = ("smallest N", "largest N")
INTERVAL_METHODS = ("track_estimate", "track_low", "track_high")
#: the absolute times' one method: the estimate alone
TIME = ("track_time",)
#: the asv parameter name of each axis (the backend axes are all called "backend")
PARAM_NAMES = {
    "mode": "mode",
    "backend": "backend",
    "remote": "backend",
    "library": "backend",
    "numpy": "backend",
    "N": "N",
    "at": "at",
    "kernel": "kernel",
    "kernel:variant": "kernel:variant",
}


@dataclasses.dataclass(frozen=True)
class Figure:
    """One paired figure: asv ``module.name.methods`` holds (estimate, low, high).

    ``quantity``: the key's first field (see ``measuring.pairs``); ``kernel``:
    "matvec", "sum", or None where the kernel is a parameter; ``mode``: the
    key's mode; ``unit``: asv's unit of the numbers ("x", "seconds", "ratio",
    "%"); ``axes``: the parameter axes, in asv's order.
    """

    module: str
    name: str
    quantity: str
    kernel: str
    mode: str
    unit: str
    axes: tuple
    methods: tuple = INTERVAL_METHODS
    backend: str = None  # the key's backend where no axis gives one

    @property
    def param_names(self):
        """asv's ``param_names`` of the figure's class."""
        return [PARAM_NAMES[a] for a in self.axes]

    def key(self, settings, *params):
        """The cache key (quantity, kernel, mode, backend, N) of the asv parameters ``params``."""
        fields = {"kernel": self.kernel, "mode": self.mode, "backend": self.backend, "N": None}
        for axis, value in zip(self.axes, params):
            if axis == "kernel:variant":
                kernel, variant = value.split(":")
                fields.update(kernel=kernel, backend=variant, N=seed_size(settings, kernel))
            elif PARAM_NAMES[axis] == "backend":
                fields["backend"] = value
            elif axis in ("N", "at"):
                fields["N"] = value
            else:
                fields[axis] = value
        return (self.quantity, fields["kernel"], fields["mode"], fields["backend"], fields["N"])

    def params(self, settings):
        """asv's ``params`` of the figure's class under ``settings``."""
        return [axis_values(axis, self, settings) for axis in self.axes]


def seed_size(settings, kernel):
    """The N of the seed ratios: the largest of every other N this machine runs
    (``Settings.run_sizes``; every other N of the grid is the seeds' asv parameter)."""
    return settings.run_sizes(kernel)[::2][-1]


def axis_values(axis, figure, settings):
    """The values of one parameter axis of ``figure`` under ``settings`` (a list)."""
    from kernels import BACKENDS
    from kernels.seeds import variants

    from . import cases

    if axis == "mode":
        return [figure.mode]
    if axis == "backend":
        return settings.selected_backends(BACKENDS)
    if axis == "remote":
        return cases.remote_backends(settings)
    if axis == "library":
        return cases.library_backends(settings)
    if axis == "numpy":
        return ["numpy"]
    if axis == "N":
        return list(settings.sizes(figure.kernel))
    if axis == "at":
        return list(LIBRARY_POINTS)
    if axis == "kernel":
        return list(KERNELS)
    if axis == "kernel:variant":
        return [f"{kernel}:{variant}" for kernel in KERNELS for variant in variants(kernel)]
    raise ValueError(f"unknown axis {axis!r}")


def _kernel_figures(prefix, kernel):
    per_mode = ("mode", "{}", "N")
    rows = [
        ("Speedup", "speedup", "resident", "x", "backend"),
        ("SpeedupEndToEnd", "speedup", "end-to-end", "x", "remote"),
        ("Time", "time", "resident", "seconds", "backend"),
        ("TimeEndToEnd", "time", "end-to-end", "seconds", "remote"),
        ("TimeSerial", "time", "serial", "seconds", "numpy"),
    ]
    out = [
        Figure(
            "paired",
            prefix + suffix,
            quantity,
            kernel,
            mode,
            unit,
            tuple(a.format(backends) for a in per_mode),
        )
        for suffix, quantity, mode, unit, backends in rows
    ]
    out += [
        Figure(
            "paired",
            prefix + "EndToEndCost",
            "end-to-end cost",
            kernel,
            "end-to-end",
            "ratio",
            ("remote", "N"),
        ),
        Figure(
            "paired", prefix + "CopyBound", "copy bound", kernel, "end-to-end", "ratio", ("remote",)
        ),
        Figure(
            "paired",
            prefix + "LibraryRatio",
            "library ratio",
            kernel,
            "resident",
            "ratio",
            ("library", "at"),
        ),
    ]
    return out


def _absolute_times(prefix, kernel):
    """suite.py's absolute times: the estimates of the paired times, one asv number each
    (asv users follow them across commits; nothing is timed twice for them)."""
    return [
        Figure("suite", prefix, "time", kernel, "resident", "seconds", ("backend", "N"), TIME),
        Figure(
            "suite",
            prefix + "EndToEnd",
            "time",
            kernel,
            "end-to-end",
            "seconds",
            ("remote", "N"),
            TIME,
        ),
        Figure(
            "suite", prefix + "Serial", "time", kernel, "serial", "seconds", ("N",), TIME, "numpy"
        ),
    ]


#: every paired figure, in the order the report lists them
FIGURES = (
    *_kernel_figures("MatVec", "matvec"),
    *_kernel_figures("VectorSum", "sum"),
    Figure(
        "roof",
        "RoofFraction",
        "roof percent",
        None,
        "resident",
        "%",
        ("kernel", "backend"),
        ("track_percent", "track_percent_low", "track_percent_high"),
    ),
    Figure(
        "seeds",
        "SeedRatio",
        "seed ratio",
        None,
        "resident",
        "ratio",
        ("kernel:variant",),
        ("track_ratio", "track_ratio_low", "track_ratio_high"),
    ),
    *_absolute_times("MatVec", "matvec"),
    *_absolute_times("VectorSum", "sum"),
)


def in_module(module):
    """The figures whose asv classes live in ``benchmarks.<module>``, in table order."""
    return [f for f in FIGURES if f.module == module]


def of_quantity(quantity):
    """The figures of one quantity ("speedup", "roof percent", ...), in table order."""
    return [f for f in FIGURES if f.quantity == quantity]
