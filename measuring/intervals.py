"""Confidence intervals for a ratio measured in alternation, repeated over processes.

The data of one ratio is ``groups``: one list per process, each holding that
process's per-round ratios (for a speedup: serial time / backend time, both
timed in the same round).  On this kind of machine the variation between
processes (memory placement, which core, a neighbour's load) is larger than the
variation between rounds of one process, so the process is the unit of
replication (Kalibera and Jones, "Rigorous Benchmarking in Reasonable Time",
ISMM 2013, sections 3 and 6: repeat at the level where the variance is).

``ratio_interval(groups)``:

1. each process is summarised by the median of its log ratios (robust to a
   round hit by a burst of noise);
2. the estimate is ``exp(median of those K process medians)`` (ratios and their
   inverses are treated alike);
3. the 95% interval is ``exp([x(j), x(K-j+1)])``, x(1) <= ... <= x(K) the sorted
   process medians: the distribution-free order-statistic confidence interval
   for the median (Conover, "Practical Nonparametric Statistics", 3rd ed., 1999,
   ch. 3, the quantile test; Hahn and Meeker, "Statistical Intervals", 1991,
   ch. 5, distribution-free intervals for a percentile).  It
   covers the median of the process medians' distribution with probability
   ``coverage(K, j) = 1 - 2 * P(Binomial(K, 1/2) < j)``, and ``j`` is the largest
   rank whose coverage is at least 95% (``order_rank``):

   ====== === ==========
   K       j  coverage
   ====== === ==========
   6       1  96.9%
   7       1  98.4%
   8       1  99.2%
   9       2  96.1%
   10      2  97.9%
   11      2  98.8%
   12      3  96.1%
   15      4  96.5%
   20      6  95.9%
   ====== === ==========

   Fewer than 6 processes cannot give 95% at all (K = 5 with j = 1, the range
   of the medians, covers 93.75%; K = 2, 50%), so ``ratio_interval`` refuses
   them (ValueError) rather than print a "95%" interval that is not one.

Why not Student's t over the process medians (this module's method before):
one process that ran in a bad state (a neighbour's load, a page-cache storm, a
rank placed on a busy core) moves the mean and inflates the sd of K = 5 values
by its whole log factor.  The committed runs had the mpi matvec floor at
69.7 us [2.6, 1873.2] from one process ~375x slower than the other four, and
42 of 493 intervals wider than a factor of 5.  Ranks do not care how far out
a value is: with j >= 2 (K >= 9) one contaminated process, however far out, can
only take an end rank, so the interval and the estimate stay where the other
processes put them (``measurements/intervals/`` has the simulation;
``tests/test_intervals.py`` checks coverage, width and estimate with one
process in ten off by 10-1000x).  At K = 6-8 the interval is the range
[x(1), x(K)], which still covers but is widened by a bad process; the default
run goes on to 15 processes where its budget allows (``measuring/pairs.py``).
"""

import math
from collections import namedtuple

import numpy as np

#: estimate, low, high (the ratio and its 95% bounds), processes K, rounds in all
Interval = namedtuple("Interval", "estimate low high processes rounds")

LEVEL = 0.95


def coverage(k, j):
    """P([x(j), x(k-j+1)] holds the median) for k i.i.d. continuous values: exact.

    ``1 - 2 * P(Binomial(k, 1/2) < j)``: the interval misses the median only
    when fewer than j of the k values lie below it, or fewer than j above it.
    """
    if not 1 <= j <= (k + 1) // 2:
        raise ValueError(f"rank j={j} must be between 1 and (k+1)//2 for k={k}")
    below = sum(math.comb(k, i) for i in range(j))
    return 1.0 - 2.0 * below / 2**k


def order_rank(k, level=LEVEL):
    """The largest rank j with ``coverage(k, j) >= level``, or None if even j = 1 falls short."""
    best = None
    for j in range(1, (k + 1) // 2 + 1):
        if coverage(k, j) < level:
            break
        best = j
    return best


def min_processes(level=LEVEL):
    """The fewest processes whose range [x(1), x(K)] covers the median with ``level``: 6 for 95%."""
    k = 1
    while coverage(k, 1) < level:
        k += 1
    return k


def _process_medians(groups):
    """(sorted per-process medians of the log ratios, rounds in all); checks the ratios."""
    medians, rounds = [], 0
    for group in groups:
        values = np.asarray(list(group), dtype=float)
        if values.size == 0:
            continue
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"ratios must be positive and finite, got {values!r}")
        medians.append(float(np.median(np.log(values))))
        rounds += values.size
    return sorted(medians), rounds


def ratio_interval(groups, level=LEVEL):
    """The ratio's estimate and ``level`` interval from per-process per-round ratios.

    ``groups``: a sequence of K sequences of positive ratios (one per process;
    rounds may differ in number; empty ones are not counted).  Each process
    becomes the median of its log ratios; the estimate is exp(median of the K
    medians) and the interval exp([x(j), x(K-j+1)]) of the sorted medians, j
    from ``order_rank(K, level)`` (its coverage: ``coverage(K, j)``, at least
    ``level``; 97.9% for the default K = 10, j = 2).

    Assumptions: the K processes are independent and their medians (log scale)
    come from one continuous distribution whose median is the reported ratio.
    No normality and no equal variances are assumed, and one process far off
    (when j >= 2, that is K >= 9) can move neither bound past its neighbours'
    values.  Source: the order-statistic confidence interval for a median
    (Conover, "Practical Nonparametric Statistics", ch. 3; Hahn and Meeker,
    "Statistical Intervals", ch. 5); Hoefler and Belli, "Scientific
    benchmarking of parallel computing systems", SC15, sec. 4.2, recommend
    nonparametric intervals of the median from more than 5 runs.

    Returns an ``Interval``.  Raises ValueError for fewer processes than
    ``min_processes(level)`` (6 at 95%) or a ratio <= 0 or not finite.
    """
    medians, rounds = _process_medians(groups)
    k = len(medians)
    j = order_rank(k, level)
    if j is None:
        raise ValueError(
            f"a {level:.0%} interval of the median needs at least {min_processes(level)}"
            f" processes, got {k}"
        )
    centre = float(np.median(medians))
    return Interval(math.exp(centre), math.exp(medians[j - 1]), math.exp(medians[k - j]), k, rounds)


def _t_interval(groups, level=LEVEL):
    """The method before ``ratio_interval``: Student's t over the K process medians (log scale).

    exp(mean +- t(0.5 + level/2, K-1) * sd / sqrt(K)), estimate exp(mean); K >= 2.
    Kept only so that tests/test_intervals.py and measurements/intervals/ can
    show what one contaminated process does to it; the suite does not use it.
    """
    from scipy import stats  # not at module top: asv imports this module at discovery

    medians, rounds = _process_medians(groups)
    k = len(medians)
    if k < 2:
        raise ValueError(f"a t interval needs ratios from at least 2 processes, got {k}")
    mean = float(np.mean(medians))
    half = float(stats.t.ppf(0.5 + level / 2, k - 1)) * float(np.std(medians, ddof=1))
    half /= math.sqrt(k)
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), k, rounds)


def overlap(a, b):
    """True if intervals ``a`` and ``b`` share a point.

    Each is a sequence (estimate, low, high, ...): an ``Interval``, a plain tuple
    or any namedtuple whose fields 1 and 2 are the bounds.
    """
    return a[1] <= b[2] and b[1] <= a[2]


def contains(interval, value):
    """True if ``value`` lies within ``interval`` (bounds included)."""
    return interval.low <= value <= interval.high


def _mann_whitney_counts(m, n):
    """How many of the C(m+n, m) orderings give each value u = 0 .. m*n of the
    Mann-Whitney U of samples of sizes m and n (no ties): a list of ints."""
    # f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1), f(0; 0, n) = f(0; m, 0) = 1
    table = {(0, j): [1] for j in range(n + 1)}
    for i in range(1, m + 1):
        table[(i, 0)] = [1]
        for j in range(1, n + 1):
            size = i * j + 1
            left, right = table[(i - 1, j)], table[(i, j - 1)]
            row = [0] * size
            for u in range(size):
                if 0 <= u - j < len(left):
                    row[u] += left[u - j]
                if u < len(right):
                    row[u] += right[u]
            table[(i, j)] = row
    return table[(m, n)]


def shift_rank(m, n, level=LEVEL):
    """The number C of pairwise differences cut from each end for a ``level`` interval
    of the shift between samples of sizes m and n: the largest C with
    P(U <= C - 1) <= (1 - level) / 2 (Moses); None when no C >= 1 reaches ``level``."""
    counts = _mann_whitney_counts(m, n)
    total = math.comb(m + n, m)
    tail, c = 0, 0
    while c < len(counts) and (tail + counts[c]) / total <= (1 - level) / 2:
        tail += counts[c]
        c += 1
    return c if c >= 1 else None


def runs_ratio(a, b, level=LEVEL):
    """The ratio of run B's figure to run A's from their per-process values: an ``Interval``.

    ``a`` and ``b``: each run's per-process values of one figure (each process's
    median ratio or time, positive).  The runs are independent, so nothing is
    paired across them: on the log scale, the estimate is the Hodges-Lehmann
    shift (the median of the m*n differences log b_j - log a_i) and the interval
    Moses' distribution-free interval for the shift, the C-th smallest and
    largest of those differences (``shift_rank``; exact Mann-Whitney counts).
    It assumes the two runs' process values differ by a factor and are otherwise
    alike in spread; nothing about normality.  Source: Hollander, Wolfe and
    Chicken, "Nonparametric Statistical Methods", 3rd ed., 2014, sec. 4.3.
    Returns an ``Interval`` whose ``processes`` is m + n (``rounds`` 0).  Raises
    ValueError for a value <= 0 or too few processes for ``level`` (6 and 6 reach
    95%; 10 and 10 cut the 24 smallest and largest of the 100 differences).
    """
    values = [[v for v in run if v is not None] for run in (a, b)]
    if any(not (math.isfinite(v) and v > 0) for run in values for v in run):
        raise ValueError("values must be positive and finite")
    la, lb = ([math.log(v) for v in run] for run in values)
    c = shift_rank(len(la), len(lb), level) if la and lb else None
    if c is None:
        raise ValueError(f"{len(la)} and {len(lb)} processes cannot give a {level:.0%} interval")
    diffs = sorted(y - x for x in la for y in lb)
    low, high = math.exp(diffs[c - 1]), math.exp(diffs[len(diffs) - c])
    return Interval(math.exp(float(np.median(diffs))), low, high, len(la) + len(lb), 0)
