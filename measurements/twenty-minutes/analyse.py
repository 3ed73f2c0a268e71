"""Three runs of the same code, back to back: do they agree, how precise are they, how long?

Run from the repository root once the runs' results are under results/:

    python measurements/twenty-minutes/analyse.py C1 C2 C3 [--machine NAME] [--against C]

For the paired figures of the runs (each run's ``results/paired/<machine>/<commit8>-*/``
figures.json: interval, per-process values, status; ``measuring.pairs.figures_file``):

* each run's wall time and phases (``results/runs/<machine>/<commit8>-*.json``);
* the share of the pairs of intervals that overlap, pooled over all figures and
  the three pairs of runs;
* the median 95% half-width of the times of calls >= 100 us, of those below, and
  of the other figures, per run and pooled;
* the share of figures marked short of their precision target, by reason, and the
  intervals wider than a factor of 2, each with whether it is so marked;
* the worst points (the widest intervals, and the pairs farthest apart), with the
  three intervals and per-process values;
* the fastest-backend table of each run (resident speedups over serial numpy):
  whether the runs agree where the intervals separate the backends, and the ties
  at matvec N >= 2048 against run ``--against`` (read from its asv results).
"""

import argparse
import glob
import itertools
import json
import os
import statistics
import sys

sys.path.insert(0, os.getcwd())

from benchmarks.report import records  # noqa: E402
from benchmarks.report.results import Run, find_runs, select_runs  # noqa: E402
from measuring.intervals import Interval, overlap  # noqa: E402

WIDE = 2.0


def load(machine, commit):
    """({key tuple: figures.json entry}, the run's record or None) of one run."""
    pattern = os.path.join("results", "paired", machine, f"{commit[:8]}-*", "figures.json")
    (path,) = glob.glob(pattern)
    with open(path) as fh:
        figures = {tuple(json.loads(k)): v for k, v in json.load(fh).items()}
    runs = glob.glob(os.path.join("results", "runs", machine, f"{commit[:8]}-*.json"))
    record = None
    if runs:
        with open(runs[0]) as fh:
            record = json.load(fh)
    return figures, record


def interval(entry):
    iv = entry.get("interval")
    return None if iv is None or isinstance(iv, str) else Interval(*iv)


def half_width(iv):
    return 100.0 * (iv.high - iv.low) / 2 / iv.estimate


def group(key, iv):
    if key[0] == "time":
        return "time >= 100 us" if iv.estimate >= 1e-4 else "time < 100 us"
    return "other figures"


def fmt(iv):
    return f"{iv.estimate:.4g} [{iv.low:.4g}, {iv.high:.4g}]"


def per_process(entry):
    return "[" + ", ".join("-" if v is None else f"{v:.4g}" for v in entry["processes"]) + "]"


def fastest_table(figures):
    """{(kernel, N): (winner, [tied])} of the resident speedups."""
    speedups = {}
    for key, entry in figures.items():
        iv = interval(entry)
        if key[0] == "speedup" and key[2] == "resident" and iv is not None:
            speedups.setdefault(key[1], {}).setdefault(key[3], {})[key[4]] = iv
    return {
        (kernel, n): (winner, tied)
        for kernel, by_backend in speedups.items()
        for n, winner, tied, _iv, _wide in records.fastest(by_backend)
    }


def asv_fastest(machine, commit):
    """The same table of a run read from its asv results (runs before figures.json)."""
    (header,) = select_runs(find_runs("results"), machine, commit)
    figures = records.read(Run(header, "results"))
    speedups = {}
    for (quantity, kernel, mode, backend, n), iv in figures.items():
        if quantity == "speedup" and mode == "resident":
            speedups.setdefault(kernel, {}).setdefault(backend, {})[n] = iv
    return {
        (kernel, n): (winner, tied)
        for kernel, by_backend in speedups.items()
        for n, winner, tied, _iv, _wide in records.fastest(by_backend)
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("commits", nargs=3)
    p.add_argument("--machine", default="amd-f25m17s1-2c-l3_32m-24g-fb86c9")
    p.add_argument("--against", default="c82d39f0", help="a run to compare the ties with")
    p.add_argument("--against-machine", default="vm-intel-xeon")
    args = p.parse_args(argv)
    runs = [load(args.machine, c) for c in args.commits]
    names = [c[:8] for c in args.commits]

    print(f"# Three runs back to back: {', '.join(names)}\n")
    print("## Wall time and phases (results/runs/)\n")
    print("| phase | budget | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    phases = runs[0][1]["phases"] if runs[0][1] else {}
    for phase, v in phases.items():
        cells = [f"{r[1]['phases'][phase]['seconds']:.0f} s" if r[1] else "-" for r in runs]
        print(f"| {phase} | {v['budget_s']} s | " + " | ".join(cells) + " |")
    walls = [f"{r[1]['wall_s'] / 60:.1f} min" if r[1] else "-" for r in runs]
    print(f"| whole run | {runs[0][1]['budget_s'] / 60:.0f} min | " + " | ".join(walls) + " |\n")

    keys = sorted(set.intersection(*(set(f) for f, _ in runs)), key=str)
    both = [k for k in keys if all(interval(f[k]) for f, _ in runs)]
    print(f"{len(both)} figures with an interval in all three runs.\n")

    print("## Overlap\n")
    pairs = [(k, i, j) for k in both for i, j in itertools.combinations(range(3), 2)]
    apart = [
        (k, i, j)
        for k, i, j in pairs
        if not overlap(interval(runs[i][0][k]), interval(runs[j][0][k]))
    ]
    print(
        f"{len(pairs) - len(apart)} of {len(pairs)} pairs of intervals overlap"
        f" ({100 * (1 - len(apart) / len(pairs)):.1f}%; the target: >= 95%).\n"
    )

    print("## Median 95% half-width\n")
    print("| figures | " + " | ".join(names) + " | pooled | target |")
    print("|---|" + "---|" * (len(names) + 2))
    targets = {"time >= 100 us": "<= 5%", "time < 100 us": "<= 10%", "other figures": "-"}
    for g in targets:
        cells, pooled = [], []
        for figures, _ in runs:
            w = [
                half_width(interval(figures[k]))
                for k in both
                if group(k, interval(figures[k])) == g
            ]
            pooled += w
            cells.append(f"{statistics.median(w):.1f}% ({len(w)})" if w else "-")
        med = f"{statistics.median(pooled):.1f}%" if pooled else "-"
        print(f"| {g} | " + " | ".join(cells) + f" | {med} | {targets[g]} |")

    print("\n## Short of the precision target, and intervals wider than 2x\n")
    for name, (figures, _) in zip(names, runs):
        statuses = [f["status"] for f in figures.values() if f.get("status")]
        if not statuses:
            print(f"- {name}: no statuses (a run from before the precision target)")
            continue
        short = [s for s in statuses if not s["met"]]
        why = {}
        for s in short:
            why[s["why"]] = why.get(s["why"], 0) + 1
        wide = [
            k
            for k, f in figures.items()
            if interval(f) and interval(f).high / interval(f).low > WIDE
        ]
        unmarked = [k for k in wide if figures[k].get("status", {}).get("met", False)]
        procs = sorted({s["processes"] for s in statuses})
        marked = sum(s["marked rounds"][0] for s in statuses)
        noted = sum(s["marked rounds"][1] for s in statuses)
        print(
            f"- {name}: {len(short)} of {len(statuses)} figures short of the target"
            f" ({100 * len(short) / len(statuses):.0f}%; {why}); processes per figure {procs};"
            f" {len(wide)} intervals wider than 2x, {len(unmarked)} of them not marked short;"
            f" rounds marked under interference: {marked} of {noted} (figure-rounds)"
        )

    print("\n## The widest intervals (high / low of the widest run)\n")
    widest = sorted(
        both, key=lambda k: -max(interval(f[k]).high / interval(f[k]).low for f, _ in runs)
    )[:10]
    for k in widest:
        print(f"- `{k}`")
        for name, (figures, _) in zip(names, runs):
            print(f"  - {name}: {fmt(interval(figures[k]))}, processes {per_process(figures[k])}")

    print("\n## The pairs farthest apart\n")

    def gap(k, i, j):
        a, b = interval(runs[i][0][k]), interval(runs[j][0][k])
        return max(a.low / b.high, b.low / a.high)

    for k, i, j in sorted(apart, key=lambda t: -gap(*t))[:10]:
        print(f"- `{k}` ({names[i]} vs {names[j]}, gap {gap(k, i, j):.2f}x)")
        for name, (figures, _) in zip(names, runs):
            print(f"  - {name}: {fmt(interval(figures[k]))}, processes {per_process(figures[k])}")

    print("\n## The fastest backend at each N (resident)\n")
    tables = [fastest_table(f) for f, _ in runs]
    against = asv_fastest(args.against_machine, args.against)
    ns = sorted(set().union(*tables), key=lambda t: (t[0], t[1]))
    print("| kernel | N | " + " | ".join(names) + f" | {args.against} |")
    print("|---|---|" + "---|" * (len(names) + 1))
    disagree = []
    for kn in ns:
        cells = []
        for t in tables + [against]:
            w = t.get(kn)
            cells.append(
                "-" if w is None else w[0] + (f" (tied: {', '.join(w[1])})" if w[1] else "")
            )
        print(f"| {kn[0]} | {kn[1]} | " + " | ".join(cells) + " |")
        separated = [t[kn][0] for t in tables if kn in t and not t[kn][1]]
        if len(set(separated)) > 1:
            disagree.append(kn)
    print(
        f"\nWhere a run's intervals separate the winner from every other backend, the"
        f" runs {'agree' if not disagree else 'disagree at ' + str(disagree)}."
    )
    # the N every run has (the runs of a capped grid stop at 4x the last-level cache)
    common = set.intersection(*(set(t) for t in tables + [against]))
    at = sorted(n for k, n in common if k == "matvec" and n >= 2048)
    print(f"\nBackends tied with the winner at matvec N = {at}:")
    for name, t in zip(names + [args.against], tables + [against]):
        ties = sum(len(t[("matvec", n)][1]) for n in at)
        print(f"- {name}: {ties}")


if __name__ == "__main__":
    main()
