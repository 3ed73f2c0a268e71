"""The paired figures of a run (``measuring.pairs``), read into records with their intervals.

asv stores each paired figure as three benchmarks of the same parameters: the
estimate and the two 95% bounds (``benchmarks.paired``, ``roof.RoofFraction``,
``seeds.SeedRatio``).  ``read`` joins them into one flat dict keyed as
``measuring.pairs.key`` keys its cache, (quantity, kernel, mode, backend, N):

* ``speedup``: (kernel, resident | end-to-end, backend, N), serial numpy / backend;
* ``time``: (kernel, serial | resident | end-to-end, backend, N), seconds per call
  (serial only for backend "numpy", the one-thread baseline);
* ``end-to-end cost``: (kernel, "end-to-end", backend, N), end-to-end / resident;
* ``copy bound``: (kernel, "end-to-end", backend, None), at the largest N,
  end-to-end / (a host copy of the operand + resident);
* ``roof percent``: (kernel, "resident", backend, None), % of the roof at the largest N;
* ``seed ratio``: (kernel, "resident", seed variant, None), seed / backend time.

A figure is kept only where all three numbers are finite (asv stores NaN for a
skipped one, null for a failed one).  The helpers below derive what the report
shows from intervals: a crossover N, the fastest backend at each N, bandwidth.
"""

import re
from collections import namedtuple

from measuring.figures import FIGURES, INTERVAL_METHODS, of_quantity
from measuring.intervals import contains, overlap

from .results import is_number

#: a figure and its 95% bounds (``measuring.intervals.Interval`` without the counts)
Interval = namedtuple("Interval", "estimate low high")

#: the per-kernel figures of benchmarks/paired.py read by ``_kernel_figures`` (a run
#: before the split of modes into classes has all modes in the first class of a
#: quantity; the library ratio has its own reader, ``benchmarks.report.library``)
PAIRED_FIGURES = [f for f in FIGURES if f.module == "paired" and f.quantity != "library ratio"]
(ROOF_FIGURE,) = of_quantity("roof percent")
(SEED_FIGURE,) = of_quantity("seed ratio")
QUANTITIES = ("speedup", "time", "end-to-end cost", "copy bound", "roof percent", "seed ratio")
#: what a quantity's numbers are: (format spec, suffix after the estimate)
FORMATS = {
    "speedup": (".2f", "x"),
    "time": (".3g", " s"),
    "end-to-end cost": (".2f", "x"),
    "copy bound": (".2f", "x"),
    "roof percent": (".1f", "%"),
    "seed ratio": (".2f", "x"),
}


def intervals(run, cls, methods):
    """[(params dict, Interval)] of the benchmarks ``cls.<methods>`` (estimate, low, high).

    Only the parameter combinations where all three are finite numbers.
    """
    columns = [run.entries(cls, method) for method in methods]
    bounds = [{tuple(p.items()): v for p, v in column} for column in columns[1:]]
    out = []
    for params, estimate in columns[0]:
        values = [estimate] + [b.get(tuple(params.items())) for b in bounds]
        if all(is_number(v) for v in values):
            out.append((params, Interval(*(float(v) for v in values))))
    return out


def _kernel_figures(run, kernel, quantity, cls):
    out = {}
    for p, iv in intervals(run, cls, INTERVAL_METHODS):
        mode = p.get("mode", "end-to-end")  # end-to-end cost and copy bound have no mode
        out[(quantity, kernel, mode, str(p.get("backend")), p.get("N"))] = iv
    return out


def read(run):
    """{(quantity, kernel, mode, backend, N): Interval} of every paired figure of ``run``."""
    out = {}
    for fig in PAIRED_FIGURES:
        out.update(_kernel_figures(run, fig.kernel, fig.quantity, fig.name))
    for p, iv in intervals(run, ROOF_FIGURE.name, ROOF_FIGURE.methods):
        out[("roof percent", p.get("kernel"), "resident", p.get("backend"), None)] = iv
    for p, iv in intervals(run, SEED_FIGURE.name, SEED_FIGURE.methods):
        case = str(next(iter(p.values()), ""))
        if ":" in case:
            kernel, variant = case.split(":", 1)
            out[("seed ratio", kernel, "resident", variant, None)] = iv
    return out


def select(figures, quantity, kernel=None):
    """{(kernel, mode, backend, N): Interval} of one quantity (and kernel) of ``read``'s dict."""
    return {
        k[1:]: iv
        for k, iv in figures.items()
        if k[0] == quantity and (kernel is None or k[1] == kernel)
    }


def by_series(figures, quantity, kernel):
    """{(backend, mode): {N: Interval}} of one quantity of one kernel: a report series each."""
    out = {}
    for (_, mode, backend, n), iv in select(figures, quantity, kernel).items():
        out.setdefault((backend, mode), {})[n] = iv
    return out


def scaled(iv, factor):
    """The Interval of ``factor`` times the figure (factor > 0)."""
    return Interval(iv.estimate * factor, iv.low * factor, iv.high * factor)


def inverse(iv, numerator):
    """The Interval of ``numerator`` / the figure (bandwidth from a time: the bounds swap)."""
    return Interval(numerator / iv.estimate, numerator / iv.high, numerator / iv.low)


def no_difference(iv):
    """True if the interval contains 1: no difference from the baseline shown."""
    return contains(iv, 1.0)


#: an interval whose high bound is more than this factor above its low bound is "wide"
WIDE = 2.0


def is_wide(iv):
    """True when ``iv`` spans more than a factor of ``WIDE``."""
    return iv.high > WIDE * iv.low


def fastest(speedups):
    """[(N, winner, [tied], winner's Interval, [wide])] at each N of ``speedups``
    {backend: {N: Interval}}.

    The winner has the highest estimate; tied: the other backends whose interval
    overlaps the winner's, highest estimate first; wide: the tied backends whose tie
    rests on an interval wider than a factor of 2 (theirs or the winner's), which
    more processes might well separate.
    """
    ns = sorted({n for values in speedups.values() for n in values})
    rows = []
    for n in ns:
        at = sorted(
            ((b, v[n]) for b, v in speedups.items() if n in v),
            key=lambda item: -item[1].estimate,
        )
        (winner, best), rest = at[0], at[1:]
        tied = [(b, iv) for b, iv in rest if overlap(iv, best)]
        wide = [b for b, iv in tied if is_wide(iv) or is_wide(best)]
        rows.append((n, winner, [b for b, _ in tied], best, wide))
    return rows


def processes_rounds(setting):
    """'5 processes x 10 rounds' from RunInfo's ``paired`` setting, or None if not there."""
    m = re.search(r"\d+\s+processes\s+x\s+\d+\s+rounds", setting or "")
    return m.group(0) if m else None
