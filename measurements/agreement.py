"""Do runs of the same code agree?  Paired speedup intervals across several asv result files.

    python measurements/agreement.py results/vm/<a>-*.json results/vm/<b>-*.json ... > out.md

For every (kernel, mode, backend, N) with a paired speedup in every file it
reports: the share of pairs of runs whose 95% intervals overlap; the median
interval half-width as % of the estimate where a call takes >= 100 us (the
paired time of the backend side); the points where some pair does not overlap,
with all intervals; the crossover N of each run (the smallest N from which the
interval lies above 1 at every larger N) and the fastest backend at each N
(highest estimate; ties: intervals overlapping the winner's), and whether they
agree where the intervals separate the backends.
"""

import ast
import itertools
import json
import statistics
import sys

KERNELS = {"matvec": "MatVec", "sum": "VectorSum"}


def _rows(path, cls):
    """{(mode, backend, N): (estimate, low, high)} of paired.<cls>.track_*."""
    data = json.load(open(path))
    cols = data["result_columns"]
    out = {}
    values = {}
    for which in ("estimate", "low", "high"):
        row = data["results"].get(f"paired.{cls}.track_{which}")
        if row is None:
            return {}
        params = [[ast.literal_eval(v) for v in p] for p in row[cols.index("params")]]
        result = row[cols.index("result")] or []
        values[which] = dict(zip(itertools.product(*params), result))
    for k, est in values["estimate"].items():
        lo, hi = values["low"].get(k), values["high"].get(k)
        if None not in (est, lo, hi) and est == est and lo == lo and hi == hi:
            out[k] = (est, lo, hi)
    return out


def _overlap(a, b):
    return a[1] <= b[2] and b[1] <= a[2]


def _crossover(series):
    """Smallest N from which low > 1 at every larger N; None if none."""
    ns = sorted(series)
    for i, n in enumerate(ns):
        if all(series[m][1] > 1 for m in ns[i:]):
            return n
    return None


def _fastest(speed, kernel_ns):
    """{N: (winner, ties)} among resident backends."""
    out = {}
    for n in kernel_ns:
        cands = {b: v for (mode, b, m), v in speed.items() if mode == "resident" and m == n}
        if not cands:
            continue
        win = max(cands, key=lambda b: cands[b][0])
        ties = sorted(b for b in cands if b != win and _overlap(cands[b], cands[win]))
        out[n] = (win, ties)
    return out


def _fmt(v):
    return f"{v[0]:.2f}x [{v[1]:.2f}, {v[2]:.2f}]"


def _kernel_report(kernel, paths, lines):
    runs = [_rows(p, f"{KERNELS[kernel]}Speedup") for p in paths]
    times = [_rows(p, f"{KERNELS[kernel]}Time") for p in paths]
    common = sorted(set.intersection(*(set(r) for r in runs)), key=lambda k: (k[0], k[1], k[2]))
    pairs = overlapping = 0
    bad, widths = [], []
    for k in common:
        ivs = [r[k] for r in runs]
        for a, b in itertools.combinations(ivs, 2):
            pairs += 1
            overlapping += _overlap(a, b)
        if not all(_overlap(a, b) for a, b in itertools.combinations(ivs, 2)):
            bad.append((k, ivs))
        t = [tr.get(k) for tr in times]
        if all(x is not None and x[0] >= 100e-6 for x in t):
            widths += [100 * (iv[2] - iv[1]) / 2 / iv[0] for iv in ivs]
    lines.append(f"## {kernel}\n")
    share = 100 * overlapping / pairs if pairs else float("nan")
    lines.append(
        f"- points: {len(common)}; pairs of runs with overlapping intervals:"
        f" {overlapping}/{pairs} = {share:.1f}%"
    )
    if widths:
        lines.append(
            f"- median half-width where a call takes >= 100 us: "
            f"{statistics.median(widths):.1f}% of the estimate ({len(widths)} intervals)"
        )
    lines.append("- points where some pair of runs does not overlap:\n")
    lines.append(
        "| mode | backend | N | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |"
    )
    lines.append("|---|---|---:|" + "---|" * len(runs))
    for (mode, b, n), ivs in bad:
        lines.append(f"| {mode} | {b} | {n} | " + " | ".join(_fmt(v) for v in ivs) + " |")
    lines.append("")
    return runs, common


def _crossovers(runs, common, lines):
    lines.append(
        "| mode | backend | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |"
    )
    lines.append("|---|---|" + "---|" * len(runs))
    for mode, b in sorted({(k[0], k[1]) for k in common}):
        cells = []
        for r in runs:
            series = {n: v for (m, bb, n), v in r.items() if m == mode and bb == b}
            c = _crossover(series)
            cells.append("never" if c is None else str(c))
        lines.append(f"| {mode} | {b} | " + " | ".join(cells) + " |")
    lines.append("")


def _fastest_table(runs, common, lines):
    ns = sorted({k[2] for k in common})
    per_run = [_fastest(r, ns) for r in runs]
    lines.append("| N | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | agree |")
    lines.append("|---:|" + "---|" * len(runs) + "---|")
    for n in ns:
        cells = [
            f"{f[n][0]}" + (f" (tied: {', '.join(f[n][1])})" if f[n][1] else "")
            for f in per_run
            if n in f
        ]
        # where the winner is separated (no ties) in every run, the winners must be equal
        separated = all(not f[n][1] for f in per_run if n in f)
        winners = {f[n][0] for f in per_run if n in f}
        sets = [{f[n][0], *f[n][1]} for f in per_run if n in f]
        agree = (
            "yes"
            if len(winners) == 1
            else "no"
            if separated
            else "within ties"
            if set.intersection(*sets)
            else "no"
        )
        lines.append(f"| {n} | " + " | ".join(cells) + f" | {agree} |")
    lines.append("")


def main(paths):
    lines = [
        "# Agreement of paired speedups across runs\n",
        "Runs: " + ", ".join(f"run {i + 1} = `{p}`" for i, p in enumerate(paths)) + "\n",
    ]
    for kernel in KERNELS:
        runs, common = _kernel_report(kernel, paths, lines)
        lines.append(f"### {kernel}: crossover N (interval above 1 from this N on)\n")
        _crossovers(runs, common, lines)
        lines.append(f"### {kernel}: fastest backend at each N (resident)\n")
        _fastest_table(runs, common, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
