"""Confidence intervals for a ratio measured in alternation, repeated over processes.

The data of one ratio is ``groups``: one list per process, each holding that
process's per-round ratios (for a speedup: serial time / backend time, both
timed in the same round).  On this kind of machine the variation between
processes (memory placement, which core, a neighbour's load) is larger than the
variation between rounds of one process, so the process is the unit of
replication (Kalibera and Jones, "Rigorous Benchmarking in Reasonable Time",
ISMM 2013, sections 3 and 6: repeat at the level where the variance is, and
build the interval from the means of that level).

``ratio_interval(groups)``:

1. each process is summarised by the median of its log ratios (robust to a
   round hit by a burst of noise);
2. the estimate is ``exp(mean of those medians)`` (a geometric mean: ratios
   and their inverses are treated alike);
3. the 95% interval is ``exp(mean +- t(0.975, K-1) * sd / sqrt(K))`` over the K
   process medians: Student's t interval for the mean of the top level, as in
   Kalibera and Jones, on the log scale (so it is never negative and is
   symmetric for a ratio and its inverse).

It needs at least 2 processes; with K processes it assumes their medians are a
sample from one normal distribution on the log scale.  ``tests/test_intervals.py``
checks its coverage on synthetic data with a known ratio.
"""

import math
from collections import namedtuple

import numpy as np

#: estimate, low, high (the ratio and its 95% bounds), processes K, rounds in all
Interval = namedtuple("Interval", "estimate low high processes rounds")

LEVEL = 0.95


def _t_quantile(q, df):
    from scipy import stats  # not at module top: asv imports this module at discovery

    return float(stats.t.ppf(q, df))


def ratio_interval(groups, level=LEVEL):
    """The ratio's estimate and ``level`` interval from per-process per-round ratios.

    ``groups``: a sequence of K >= 2 sequences of positive ratios (one per
    process; rounds may differ in number).  Returns an ``Interval``.  Raises
    ValueError for fewer than 2 non-empty processes or a ratio <= 0 or not finite.
    """
    medians, rounds = [], 0
    for group in groups:
        values = np.asarray(list(group), dtype=float)
        if values.size == 0:
            continue
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"ratios must be positive and finite, got {values!r}")
        medians.append(float(np.median(np.log(values))))
        rounds += values.size
    k = len(medians)
    if k < 2:
        raise ValueError(f"an interval needs ratios from at least 2 processes, got {k}")
    mean = float(np.mean(medians))
    half = _t_quantile(0.5 + level / 2, k - 1) * float(np.std(medians, ddof=1)) / math.sqrt(k)
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), k, rounds)


def overlap(a, b):
    """True if intervals ``a`` and ``b`` (objects with ``low``/``high``) share a point."""
    return a.low <= b.high and b.low <= a.high


def contains(interval, value):
    """True if ``value`` lies within ``interval`` (bounds included)."""
    return interval.low <= value <= interval.high
