"""The interval code of benchmarks.intervals on synthetic data with a known ratio."""

import math

import numpy as np
import pytest

from .helpers import benchmarks_module

intervals = benchmarks_module("intervals")

TRUE_RATIO = 1.63


def _groups(rng, k, rounds, process_sd, round_sd, outliers=0.0):
    """K processes of per-round ratios around TRUE_RATIO (log-normal effects).

    Each process has its own offset (sd ``process_sd`` on the log scale), each
    round its own noise (``round_sd``); a share ``outliers`` of rounds is hit by
    a burst that slows one side by 2-5x.
    """
    groups = []
    for _ in range(k):
        offset = rng.normal(0.0, process_sd)
        logs = math.log(TRUE_RATIO) + offset + rng.normal(0.0, round_sd, rounds)
        hit = rng.random(rounds) < outliers
        logs[hit] += np.log(rng.uniform(2, 5, hit.sum())) * rng.choice([-1, 1], hit.sum())
        groups.append(np.exp(logs))
    return groups


def coverage(make_interval, trials=2000, seed=7, **shape):
    """Share of seeded trials whose interval contains TRUE_RATIO."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        iv = make_interval(_groups(rng, **shape))
        hits += iv.low <= TRUE_RATIO <= iv.high
    return hits / trials


_BOOT_RNG = np.random.default_rng(3)


def within_process_bootstrap(groups, level=0.95, rng=_BOOT_RNG):
    """A plausible but wrong interval: pool every round, bootstrap them (ignores processes)."""
    pooled = np.concatenate([np.log(g) for g in groups])
    boots = [np.mean(rng.choice(pooled, pooled.size)) for _ in range(200)]
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return intervals.Interval(math.exp(np.mean(pooled)), math.exp(lo), math.exp(hi), 0, 0)


SHAPES = [
    dict(k=5, rounds=10, process_sd=0.10, round_sd=0.05),
    dict(k=3, rounds=8, process_sd=0.30, round_sd=0.10),
    dict(k=5, rounds=10, process_sd=0.05, round_sd=0.20, outliers=0.1),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_interval_covers_the_true_ratio_about_95_percent_of_the_time(shape):
    share = coverage(intervals.ratio_interval, **shape)
    # 2000 trials: the standard error of a 95% share is 0.5%
    assert 0.93 <= share <= 0.975, share


def test_coverage_check_fails_an_interval_that_ignores_the_processes():
    """The check above can fail: an interval that pools rounds undercovers badly."""
    share = coverage(within_process_bootstrap, trials=300, **SHAPES[0])
    assert share < 0.8, share


def test_estimate_is_the_geometric_mean_of_process_medians():
    groups = [[2.0, 2.0, 100.0], [8.0, 8.0, 0.01]]
    iv = intervals.ratio_interval(groups)
    assert iv.estimate == pytest.approx(4.0)  # exp(mean(log 2, log 8))
    assert (iv.processes, iv.rounds) == (2, 6)
    assert iv.low < 4.0 < iv.high


def test_a_ratio_and_its_inverse_get_mirrored_intervals():
    rng = np.random.default_rng(1)
    groups = _groups(rng, k=4, rounds=6, process_sd=0.1, round_sd=0.1)
    a = intervals.ratio_interval(groups)
    b = intervals.ratio_interval([1 / g for g in groups])
    assert b.estimate == pytest.approx(1 / a.estimate)
    assert (b.low, b.high) == pytest.approx((1 / a.high, 1 / a.low))


@pytest.mark.parametrize(
    "groups, match",
    [
        ([[1.0, 2.0]], "at least 2 processes"),
        ([[1.0], []], "at least 2 processes"),
        ([[1.0], [0.0]], "positive and finite"),
        ([[1.0], [float("nan")]], "positive and finite"),
    ],
)
def test_bad_input_is_refused(groups, match):
    with pytest.raises(ValueError, match=match):
        intervals.ratio_interval(groups)


def test_overlap_and_contains():
    iv = intervals.Interval
    a, b, c = iv(1, 0.9, 1.1, 3, 9), iv(1.2, 1.05, 1.3, 3, 9), iv(2, 1.5, 2.5, 3, 9)
    assert intervals.overlap(a, b) and intervals.overlap(b, a)
    assert not intervals.overlap(a, c)
    assert intervals.contains(a, 1.0) and not intervals.contains(a, 1.2)
