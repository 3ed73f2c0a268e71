"""``python -m benchmarks.compare A B``: do two runs' paired figures agree, interval by interval?

A and B are each a commit hash (prefix) of a run under the results directory, or
the path of an asv result JSON file.  Every paired figure (``records.read``:
speedup, time, end-to-end cost, roof percent, seed ratio) present in both with
its 95% interval is compared: the two intervals overlap (no difference shown) or
they do not.  It prints both runs' machine state (``fingerprint``: machine, workers,
affinity, load at the start, the read and triad roofs, one thread's read bandwidth)
with the facts that differ, then the pairs that do not overlap, with both
intervals and a verdict, then the share that overlap per quantity and in all,
then B / A of every figure whose ratio's interval excludes 1 (``ratios``: from
both runs' per-process values where they were kept, else conservative bounds).

The verdict of a pair that does not overlap: "disagree" when the two
fingerprints match (the runs differ beyond their intervals); "different machine
state" when a fact differs beyond its interval (the machine, not the code, may
be what changed); "different machine" when the runs are of two machines.

``asv compare`` compares one number per benchmark without any interval, so on a
machine whose speed drifts it flags drift as change; this compares the intervals.

Exit status: 0 compared, 1 nothing comparable (no figure with an interval in
both), 2 a bad selection (unknown commit or machine, ambiguous prefix, a file
that is not an asv run; argparse also exits 2 for a bad option).
"""

import argparse
import os
import sys

from measuring.intervals import overlap

from . import fingerprint, ratios, records
from .results import Run, SelectionError, find_runs, format_date, read_header, select_runs
from .tables import fmt, plain_table

DIFFER_HEADER = ("quantity", "kernel", "mode", "backend", "N", "A", "B", "verdict")
SHARE_HEADER = ("quantity", "overlap", "compared", "share")


def resolve(spec, results_dir, machine=None):
    """(run header, results directory) of ``spec``: a result file's path or a commit prefix.

    A file's results directory is the folder above its machine folder (where
    benchmarks.json is).  SelectionError when ``spec`` names no run, names a run of
    several machines without ``machine``, or is a file that is not an asv run.
    """
    if os.path.isfile(spec) or spec.endswith(".json"):
        path = os.path.abspath(spec)
        header = read_header(path, os.path.basename(os.path.dirname(path)))
        if header is None:
            raise SelectionError(f"{spec}: not a readable asv result file")
        return header, os.path.dirname(os.path.dirname(path))
    runs = find_runs(results_dir)
    if not runs:
        raise SelectionError(f"no asv results in {results_dir.rstrip('/')}/")
    chosen = select_runs(runs, machine, spec)
    if len(chosen) > 1:
        names = ", ".join(h["machine"] for h in chosen)
        raise SelectionError(f"commit {spec!r} ran on several machines ({names}): use --machine")
    return chosen[0], results_dir


def _sort_key(key):
    quantity, kernel, mode, backend, n = key
    rank = records.QUANTITIES.index(quantity) if quantity in records.QUANTITIES else 99
    return (rank, str(kernel), str(mode), str(backend), -1 if n is None else n)


def compare(a, b):
    """[(key, A's Interval, B's Interval, overlap)] of every key of both ``records.read``
    dicts ``a`` and ``b``, in quantity order (records.QUANTITIES), then kernel, mode,
    backend and N."""
    return [(k, a[k], b[k], overlap(a[k], b[k])) for k in sorted(set(a) & set(b), key=_sort_key)]


def shares(pairs):
    """[(quantity, overlapping, compared)] per quantity with pairs, then ("all", ...)."""
    rows = []
    for quantity in records.QUANTITIES:
        found = [ok for k, _, _, ok in pairs if k[0] == quantity]
        if found:
            rows.append((quantity, sum(found), len(found)))
    rows.append(("all", sum(ok for *_, ok in pairs), len(pairs)))
    return rows


def _cell(quantity, iv):
    spec, suffix = records.FORMATS.get(quantity, (".3g", ""))
    return fmt(iv, spec, suffix)


def state_lines(fp_a, fp_b):
    """The fingerprints side by side, the facts that differ and the runs that started loaded."""
    diffs = fingerprint.differences(fp_a, fp_b)
    lines = ["", "machine state (fingerprint):", fingerprint.table(fp_a, fp_b)]
    names = ", ".join(k for k, *_ in diffs)
    lines.append(f"facts that differ beyond their intervals: {names or 'none'}")
    started = [name for name, fp in (("A", fp_a), ("B", fp_b)) if fingerprint.loaded(fp)]
    if started:
        lines.append(
            f"started loaded (1-minute load above {fingerprint.LOADED_PER_CORE} per core, "
            f"named, not a difference): {', '.join(started)}"
        )
    return lines


def report_lines(run_a, run_b, pairs, only_a, only_b, fps=None):
    """The printed comparison of ``compare``'s ``pairs`` (counts of keys in one run only).

    ``fps``: the runs' fingerprints (A's, B's); computed when not given.
    """
    fp_a, fp_b = fps or (fingerprint.fingerprint(run_a), fingerprint.fingerprint(run_b))
    verdict = fingerprint.verdict(fingerprint.differences(fp_a, fp_b))
    lines = [f"{name}: {describe(run)}" for name, run in (("A", run_a), ("B", run_b))]
    lines += state_lines(fp_a, fp_b)
    lines.append("")
    lines.append(
        f"compared: {len(pairs)} paired figures with a 95% interval in both runs "
        f"(only in A: {only_a}, only in B: {only_b})"
    )
    apart = [p for p in pairs if not p[3]]
    count = f"{len(apart)}, verdict: {verdict}" if apart else "none"
    lines += ["", f"intervals that do not overlap: {count}"]
    if apart:
        cells = [
            (q, k, m, b, "-" if n is None else str(n), _cell(q, a), _cell(q, bb), verdict)
            for (q, k, m, b, n), a, bb, _ in apart
        ]
        lines.append(plain_table(cells, DIFFER_HEADER))
    lines += ["", "share of the compared intervals that overlap (no difference shown):"]
    cells = [(q, str(ok), str(n), f"{100.0 * ok / n:.1f}%") for q, ok, n in shares(pairs)]
    lines.append(plain_table(cells, SHARE_HEADER))
    lines += ratios.lines(run_a, run_b, pairs)
    return lines


def describe(run):
    """'<machine> @ <commit8> (<date>), <path>'."""
    return f"{run.machine} @ {run.commit[:8]} ({format_date(run.date)}), {run.path}"


def build_parser():
    """The argparse parser of ``python -m benchmarks.compare``."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description=(
            "Compare the paired figures (speedups, times, end-to-end costs, % roof, seed "
            "ratios) of two asv runs by their 95% intervals: prints both runs' machine "
            "state (machine, workers, affinity, load at the start, read and triad roofs, "
            "one thread's read bandwidth) and the facts that differ, lists the figures "
            "whose intervals do not overlap with a verdict, and the share that overlap, "
            "per quantity and in all. Verdict: 'disagree' where the machine states "
            "match, 'different machine state' where a fact differs beyond its interval, "
            "'different machine' for runs of two machines."
        ),
        epilog="Exit status: 0 compared, 1 nothing comparable, 2 bad selection.",
    )
    for name in ("A", "B"):
        p.add_argument(name, help="a commit hash (prefix) of a run, or a result JSON file's path")
    p.add_argument(
        "--results-dir",
        default="results",
        metavar="DIR",
        help="asv results directory to find commits in (default: %(default)s)",
    )
    p.add_argument(
        "--machine",
        metavar="NAME",
        help="the machine whose runs a commit prefix names (needed when several ran it)",
    )
    return p


def main(argv=None, out=None):
    """Run the command line (``argv`` default sys.argv[1:]); return the exit status."""
    out = sys.stdout if out is None else out
    args = build_parser().parse_args(argv)
    try:
        chosen = [resolve(spec, args.results_dir, args.machine) for spec in (args.A, args.B)]
        run_a, run_b = (Run(header, rdir) for header, rdir in chosen)
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: cannot read a result file: {exc}", file=sys.stderr)
        return 2
    a, b = records.read(run_a), records.read(run_b)
    pairs = compare(a, b)
    if not pairs:
        print(
            "nothing comparable: no paired figure with a 95% interval is in both runs "
            f"(A has {len(a)}, B has {len(b)})",
            file=sys.stderr,
        )
        return 1
    fps = (fingerprint.fingerprint(run_a, a), fingerprint.fingerprint(run_b, b))
    lines = report_lines(run_a, run_b, pairs, len(set(a) - set(b)), len(set(b) - set(a)), fps)
    print("\n".join(lines), file=out)
    return 0
