"""Do two runs of the same code on one machine agree, and where are the intervals wide?

Run from the repository root:

    python measurements/two-runs/analyse.py COMMIT_A COMMIT_B [--machine NAME] > out.md

For the paired figures of both runs (``benchmarks.report.records``): the share of
figures whose 95% intervals overlap, pooled and per quantity; every interval wider
than a factor of 2 (high / low > 2) with its per-process values; the median
half-width of each run (times of calls >= 100 us, below, and the other figures);
and the ten pairs farthest apart, with both intervals and both runs' per-process
values.  The
per-process values come from the run's ``results/paired/<machine>/<commit8>-*/figures.json``
(measuring/process_records.py): each process's median ratio, in process order.
"""

import argparse
import glob
import json
import os
import statistics
import sys

sys.path.insert(0, os.getcwd())

from benchmarks.report import records  # noqa: E402
from benchmarks.report.compare import compare, resolve, shares  # noqa: E402
from benchmarks.report.results import Run  # noqa: E402

WIDE = 2.0


def per_process(run, results_dir):
    """{figure key as JSON: [per-process values]} of the run's figures.json ({} if none)."""
    pattern = os.path.join(
        results_dir, "paired", run.machine, f"{run.commit[:8]}-*", "figures.json"
    )
    out = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as fh:
            for key, entry in json.load(fh).items():
                out[key] = entry.get("processes") or []
    return out


def _half_widths(fig):
    """Median half-width (% of the estimate, with the count) of the times of calls >= 100 us,
    of those below, and of every other figure."""
    groups = ([], [], [])
    for key, iv in fig.items():
        width = 100 * (iv.high - iv.low) / 2 / iv.estimate
        if key[0] == "time":
            groups[0 if iv.estimate >= 1e-4 else 1].append(width)
        else:
            groups[2].append(width)
    return [f"{statistics.median(g):.1f}% ({len(g)})" if g else "-" for g in groups]


def _values(table, key):
    values = table.get(json.dumps(list(key)))
    if not values:
        return "not stored"
    return ", ".join("-" if v is None else f"{v:.3g}" for v in values)


def _iv(iv):
    return f"{iv.estimate:.3g} [{iv.low:.3g}, {iv.high:.3g}]"


def _name(key):
    q, k, m, b, n = key
    return f"{q} {k} {m} {b} {'' if n is None else n}".strip()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--machine")
    p.add_argument("--results-dir", default="results")
    args = p.parse_args(argv)
    runs, tables = [], []
    for spec in (args.a, args.b):
        header, results_dir = resolve(spec, args.results_dir, args.machine)
        run = Run(header, results_dir)
        runs.append(run)
        tables.append(per_process(run, results_dir))
    figs = [records.read(r) for r in runs]
    pairs = compare(*figs)
    print(f"# Runs {runs[0].commit[:8]} and {runs[1].commit[:8]} on {runs[0].machine}\n")
    print("## Overlap of the 95% intervals\n")
    print("| quantity | overlapping | compared | share |\n|---|---:|---:|---:|")
    for q, ok, n in shares(pairs):
        print(f"| {q} | {ok} | {n} | {100.0 * ok / n:.1f}% |")
    for name, run, fig, table in zip("AB", runs, figs, tables):
        wide = sorted(
            ((iv.high / iv.low, key, iv) for key, iv in fig.items() if iv.low > 0),
            key=lambda t: -t[0],
        )
        wide = [w for w in wide if w[0] > WIDE]
        head = f"Run {name} ({run.commit[:8]}): {len(wide)} of {len(fig)} intervals"
        print(f"\n## {head} wider than {WIDE:g}x\n")
        if wide:
            print("| figure | interval | high/low | per-process values |\n|---|---|---:|---|")
            for ratio, key, iv in wide:
                print(f"| {_name(key)} | {_iv(iv)} | {ratio:.2f} | {_values(table, key)} |")
    print("\n## Median 95% half-width, % of the estimate\n")
    print("| run | times >= 100 us | times < 100 us | all other figures |\n|---|---:|---:|---:|")
    for name, run, fig in zip("AB", runs, figs):
        print(f"| {name} ({run.commit[:8]}) | " + " | ".join(_half_widths(fig)) + " |")
    apart = []
    for key, a, b, _overlap in pairs:
        gap = max(a.low / b.high, b.low / a.high) if a.high > 0 and b.high > 0 else 0
        apart.append((gap, key, a, b))
    apart.sort(key=lambda t: -t[0])
    print("\n## The ten pairs farthest apart (gap > 1: no overlap)\n")
    print("| figure | A | B | gap | A per process | B per process |\n|---|---|---|---:|---|---|")
    for gap, key, a, b in apart[:10]:
        print(
            f"| {_name(key)} | {_iv(a)} | {_iv(b)} | {gap:.2f} |"
            f" {_values(tables[0], key)} | {_values(tables[1], key)} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
