"""Write the paired figures into asv's results, without an asv process for each number.

What asv can do here, and what it cannot: asv stores one number per ``track_``
benchmark and parameter combination, and ``asv run`` spends a process of its own
on every combination (about 0.2 s each here), so reading the paired
measurement's 1,890 numbers back through asv benchmarks cost 7 minutes of
processes that only copy a number out of a cache.  asv has no way for one
benchmark to return many numbers, but its results are plain files with a public
Python API (``asv.results.Results``), and ``asv run`` writes every benchmark it
discovers into results/benchmarks.json whether it runs it or not.  So:

1. ``asv run -b "$(python -m measuring.asv_store --regex)"`` runs every benchmark
   except those the table ``measuring.figures`` lists; the paired measurement
   runs once, as ``paired.Measurement``;
2. ``python -m measuring.asv_store --machine M`` then writes each listed
   benchmark's numbers (estimate, bounds, absolute times) from the run's
   ``figures.json`` into asv's result file of that commit and environment, with
   asv's own ``Results.add_result`` and the benchmark entries (versions included)
   asv wrote into benchmarks.json.

``asv publish``, ``asv compare`` and the report then read them as if asv had
run them.  scripts/run-all.sh does both steps.  A plain ``asv run`` still gives
the same numbers the slow way (every listed benchmark reads its number from the
shared measurement in a process of its own).  A figure the measurement skipped
is stored as NaN, as asv stores a skipped benchmark.
"""

import argparse
import ast
import datetime
import glob
import itertools
import json
import math
import os
import re
import sys

from .figures import FIGURES
from .process_records import FIGURES as FIGURES_FILE
from .process_records import PLAN, run_prefix


def stored_names():
    """The asv names (module.Class) of the benchmarks written here rather than run by asv."""
    return [f"{f.module}.{f.name}" for f in FIGURES]


def bench_regex():
    """asv's ``-b`` regex that selects every benchmark but ``stored_names()``."""
    names = "|".join(re.escape(n) for n in stored_names())
    return rf"^(?!(?:{names})\.)"


class _PlanSizes:
    """The sizes of a paired measurement's plan, as ``Figure.key`` asks for them: the grid
    (asv's parameters) and the N the run measured (a plan without "grid" measured all)."""

    def __init__(self, plan):
        self._sizes = plan["sizes"]
        self._grid = plan.get("grid", plan["sizes"])

    def sizes(self, kernel):
        return self._grid[kernel]

    def run_sizes(self, kernel):
        return self._sizes[kernel]


def figures_folder(results_dir, machine, commit, env_name):
    """The newest finished paired measurement of (machine, commit, environment), or None.

    asv tells a benchmark its commit and environment (ASV_COMMIT, ASV_ENV_NAME) in the
    environments it builds, not under ``--python=same``; there the records are named
    "nocommit-noenv-..." (``measuring.process_records.run_prefix``) and the newest
    such measurement of the machine is the run's.
    """
    for prefix in (run_prefix(commit, env_name), run_prefix(None, None)):
        pattern = os.path.join(results_dir, "paired", machine, f"{prefix}-*", FIGURES_FILE)
        found = [os.path.dirname(p) for p in glob.glob(pattern)]
        found = [f for f in found if os.path.exists(os.path.join(f, PLAN))]
        if found:
            return max(found, key=lambda f: os.path.getmtime(os.path.join(f, FIGURES_FILE)))
    return None


def _values(fig, index, params, figures, sizes):
    """The numbers of ``fig``'s method ``index`` for every combination of ``params``."""
    out = []
    for combo in itertools.product(*params):
        entry = figures.get(json.dumps(list(fig.key(sizes, *combo))))
        interval = None if entry is None else entry.get("interval")
        if interval is None or isinstance(interval, str):
            out.append(math.nan)  # not measured or skipped: asv's NaN
        else:
            out.append(float(interval[index]))
    return out


def store(results_dir, machine, result_file):
    """Write every listed benchmark's numbers into ``result_file`` (an asv result file of
    ``machine``); returns the benchmark names written.

    Raises FileNotFoundError when the run has no finished paired measurement, and
    OSError/ValueError when a file cannot be read or written.
    """
    from asv.results import Results
    from asv.runner import BenchmarkResult

    with open(os.path.join(results_dir, "benchmarks.json"), encoding="utf-8") as fh:
        benchmarks = json.load(fh)
    results = Results.load(result_file, machine)
    folder = figures_folder(results_dir, machine, results.commit_hash, results.env_name)
    if folder is None:
        raise FileNotFoundError(
            f"no paired measurement of {results.commit_hash[:8]} ({results.env_name})"
            f" under {os.path.join(results_dir, 'paired', machine)}"
        )
    with open(os.path.join(folder, FIGURES_FILE), encoding="utf-8") as fh:
        figures = json.load(fh)
    with open(os.path.join(folder, PLAN), encoding="utf-8") as fh:
        sizes = _PlanSizes(json.load(fh))
    now = datetime.datetime.now(datetime.timezone.utc)
    written = []
    for fig in FIGURES:
        for index, method in enumerate(fig.methods):
            bench = benchmarks.get(f"{fig.module}.{fig.name}.{method}")
            if bench is None:
                continue
            params = [[ast.literal_eval(v) for v in axis] for axis in bench["params"]]
            values = _values(fig, index, params, figures, sizes)
            n = len(values)
            if not n:  # an axis with no value in this run (no backend of the kind selected)
                continue
            result = BenchmarkResult(values, [None] * n, [None] * n, 0, "", None)
            results.add_result(bench, result, started_at=now, duration=0.0)
            written.append(bench["name"])
    results.save(results_dir)
    return written


def newest_result(results_dir, machine, commit=None):
    """The newest asv result file of ``machine`` (of ``commit``'s first characters), or None."""
    pattern = os.path.join(results_dir, machine, f"{commit[:8] if commit else ''}*.json")
    files = [p for p in glob.glob(pattern) if os.path.basename(p) != "machine.json"]
    return max(files, key=os.path.getmtime, default=None)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m measuring.asv_store",
        description="Write the paired measurement's numbers into asv's result file of a "
        "run (see the module docstring), or print the asv -b regex that leaves them out.",
    )
    parser.add_argument("--regex", action="store_true", help="print asv run's -b regex")
    parser.add_argument("--machine", help="asv machine name (results/<machine>/)")
    parser.add_argument("--commit", help="the run's commit (default: the newest result file)")
    parser.add_argument("--results", default="results", help="asv's results_dir (default: results)")
    args = parser.parse_args(argv)
    if args.regex:
        print(bench_regex())
        return 0
    if not args.machine:
        parser.error("--machine is needed (or --regex)")
    result_file = newest_result(args.results, args.machine, args.commit)
    if result_file is None:
        print(f"asv_store: no asv result of {args.machine} in {args.results}", file=sys.stderr)
        return 1
    try:
        written = store(args.results, args.machine, result_file)
    except (OSError, ValueError) as exc:
        print(f"asv_store: {exc}", file=sys.stderr)
        return 1
    print(f"asv_store: {len(written)} benchmarks written into {result_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
