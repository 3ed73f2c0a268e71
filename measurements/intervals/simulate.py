"""The former t interval (K = 5) against the order-statistic interval (K = 10), simulated.

    .venv/bin/python measurements/intervals/simulate.py > measurements/intervals/simulate.log

Synthetic paired measurements with a known true ratio of 2: K processes of R
rounds, each process's log ratio offset by a normal with sd 0.05 (5%), each
round's by another (5%).  Scenarios:

* ``clean``: as above;
* ``30% bad``: in 30% of trials one random process has every round multiplied
  or divided by a factor log-uniform in [10, 1000] (a process that ran in a bad
  state, like the mpi matvec floor's ~375x in the committed runs);
* ``bad+tails``: one such process in every trial, and 10% of all rounds hit by
  a heavy-tailed burst (one side slowed by 1 + Pareto(1.5)), the shape
  tests/test_intervals.py checks.

Methods, each through ``measuring.intervals``: ``t`` is ``_t_interval`` (the
method before: Student's t over the process medians), ``order`` is
``ratio_interval`` (the order-statistic interval of the median: j = 2 at
K = 10, coverage 97.9%; j = 1, the range, at K = 6).  K x R: 5 x 8 (the former
default), 10 x 4 (the new default, the same 40 rounds), 6 x 4 (the fewest
processes ``ratio_interval`` accepts).

Per method and scenario, over 10000 seeded trials: coverage of the true ratio,
percentiles of the interval's width as the factor high/low, and the spread of
the estimate (0.5-99.5th percentile and min-max).
"""

import math
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRUE = 2.0
TRIALS = 10000
SD = 0.05


def draw(rng, k, rounds, bad_share, tails):
    """One trial's (k, rounds) ratios."""
    logs = math.log(TRUE) + rng.normal(0, SD, (k, 1)) + rng.normal(0, SD, (k, rounds))
    if tails:
        hit = rng.random((k, rounds)) < 0.1
        logs[hit] += np.log1p(rng.pareto(1.5, hit.sum())) * rng.choice([-1, 1], hit.sum())
    if rng.random() < bad_share:
        logs[rng.integers(k)] += rng.uniform(math.log(10), math.log(1000)) * rng.choice([-1, 1])
    return np.exp(logs)


def run(method, k, rounds, bad_share, tails, seed=2024):
    rng = np.random.default_rng(seed)
    ivs = [method(draw(rng, k, rounds, bad_share, tails)) for _ in range(TRIALS)]
    est = np.array([iv.estimate for iv in ivs])
    width = np.array([iv.high / iv.low for iv in ivs])
    cover = np.mean([iv.low <= TRUE <= iv.high for iv in ivs])
    return cover, np.percentile(width, [50, 95, 99]), width.max(), est


def main():
    sys.path.insert(0, ROOT)
    from measuring import intervals

    methods = [
        ("t", intervals._t_interval, 5, 8),
        ("t", intervals._t_interval, 10, 4),
        ("order", intervals.ratio_interval, 10, 4),
        ("order", intervals.ratio_interval, 6, 4),
    ]
    scenarios = [("clean", 0.0, False), ("30% bad", 0.3, False), ("bad+tails", 1.0, True)]
    print(f"true ratio {TRUE}, process sd {SD}, round sd {SD}, {TRIALS} trials each\n")
    print(
        "| method | K x R | data | coverage | width p50 | width p95 | width p99 | width max"
        " | estimate p0.5-p99.5 | estimate min-max |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, method, k, rounds in methods:
        for label, bad_share, tails in scenarios:
            cover, (p50, p95, p99), wmax, est = run(method, k, rounds, bad_share, tails)
            lo, hi = np.percentile(est, [0.5, 99.5])
            print(
                f"| {name} | {k} x {rounds} | {label} | {100 * cover:.1f}% | {p50:.3g}x"
                f" | {p95:.3g}x | {p99:.3g}x | {wmax:.3g}x | {lo:.3g}-{hi:.3g}"
                f" | {est.min():.3g}-{est.max():.3g} |"
            )
    print()
    for k in (6, 9, 10, 12):
        j = intervals.order_rank(k)
        print(f"K = {k}: j = {j}, coverage {100 * intervals.coverage(k, j):.1f}% (exact)")


if __name__ == "__main__":
    main()
