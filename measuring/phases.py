"""The phases of ``bash scripts/run-all.sh``, their time budgets, and the record of a run.

The one place the run's time budget is written (README shows the table,
``python -m measuring.phases --table``).  Budgets are seconds on the reference
machine (2 cores, default sizes); the whole run's is ``TOTAL_S``.  A phase that
cannot fit its budget becomes an opt-in switch instead of a longer run.

scripts/run-all.sh notes when each of its steps starts and ends (lines "NAME
start|end UNIX-SECONDS") and at the end writes the run's record (``--record``):
every step's wall seconds, the split of ``asv run`` taken from asv's own result
file (the seconds asv recorded for each setup_cache and each benchmark), each
phase against its budget, and the whole run's wall time, as
``results/runs/<machine>/<commit8>-<env>.json``.
"""

import argparse
import json
import os
import sys

#: (phase, budget in seconds, what it holds), in run order.  Set from the first run
#: of this code (83c0c7c1, 13.5 min on the 2-core reference VM), whose other phases
#: took 38, 71, 120, 81 and 20 s: the paired measurement gets the rest, room for
#: about 9 processes of 80 s, 9 being the fewest whose 95% interval of the median
#: leaves out the most extreme process on each side (``measuring.intervals``; 6
#: processes give [min, max]).
PHASES = (
    ("install", 60, "scripts/bootstrap.sh: the virtual environment, parbench built in place"),
    ("asv environment", 90, "asv's environment of the commit: build and install"),
    ("paired measurement", 720, "measuring.pairs: every ratio and time, over processes"),
    ("asv benchmarks", 150, "the rest of asv run: cold end-to-end, seeds, roof, ping-pong"),
    ("task farm", 90, "benchmarks/taskfarm.py: makespans and timelines"),
    ("publish and plots", 90, "asv publish, the offline site, the plots, the screenshots"),
)
TOTAL_S = 1200


def budget(phase):
    """Seconds of ``phase``'s budget (KeyError for an unknown phase)."""
    return dict((p, b) for p, b, _w in PHASES)[phase]


#: the steps run-all.sh notes (``--step NAME start|end``) and the phase each belongs to;
#: "asv run" is split further by ``asv_split``
STEPS = {
    "install": "install",
    "asv run": None,
    "publish": "publish and plots",
    "site": "publish and plots",
    "plots": "publish and plots",
    "screenshots": "publish and plots",
}


def asv_split(result_file):
    """{phase: seconds} of one asv result file: its setup_caches and benchmarks by phase.

    The paired measurement is the setup_cache of ``measuring.pairs`` plus the
    benchmarks that only read it; the task farm its setup_cache and benchmarks;
    everything else "asv benchmarks".  OSError/ValueError when unreadable.
    """
    with open(result_file) as fh:
        data = json.load(fh)
    out = {"paired measurement": 0.0, "asv benchmarks": 0.0, "task farm": 0.0}
    for name, seconds in (data.get("durations") or {}).items():
        phase = "task farm" if "taskfarm" in name else "paired measurement"
        out[phase] += seconds or 0.0
    column = data["result_columns"].index("duration")
    for name, row in data["results"].items():
        seconds = row[column] if len(row) > column and row[column] else 0.0
        module, cls = name.split(".")[:2]
        if module == "taskfarm":
            out["task farm"] += seconds
        elif module == "paired" or cls in ("RoofFraction", "SeedRatio"):
            out["paired measurement"] += seconds
        else:
            out["asv benchmarks"] += seconds
    return out


def record(steps_file, result_file, machine, commit, env):
    """The run's record (dict): steps, phases against their budgets, total wall seconds.

    ``steps_file``: lines "NAME start|end UNIX-SECONDS" (run-all.sh's); ``result_file``:
    the asv result file of the run (None if there is none).  The asv environment's
    time is what ``asv run`` took beyond the benchmarks it recorded.
    """
    starts, steps = {}, {}
    with open(steps_file) as fh:
        for line in fh:
            name, what, at = line.rsplit(" ", 2)
            if what == "start":
                starts[name] = float(at)
            elif name in starts:
                steps[name] = float(at) - starts[name]
    phases = {p: 0.0 for p, _b, _w in PHASES}
    for name, seconds in steps.items():
        if STEPS.get(name):
            phases[STEPS[name]] += seconds
    if result_file:
        split = asv_split(result_file)
        phases.update(split)
        phases["asv environment"] = max(0.0, steps.get("asv run", 0.0) - sum(split.values()))
    first = min(starts.values()) if starts else 0.0
    last = max(starts[n] + s for n, s in steps.items()) if steps else first
    return {
        "machine": machine,
        "commit": commit,
        "env": env,
        "wall_s": round(last - first, 1),
        "budget_s": TOTAL_S,
        "steps_s": {k: round(v, 1) for k, v in steps.items()},
        "phases": {p: {"seconds": round(phases[p], 1), "budget_s": b} for p, b, _w in PHASES},
    }


def table():
    """The phase table as Markdown (README's)."""
    lines = ["| phase | budget | what |", "|---|---|---|"]
    lines += [f"| {p} | {b // 60} min {b % 60:02d} s | {w} |" for p, b, w in PHASES]
    lines.append(f"| whole run | {TOTAL_S // 60} min | |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m measuring.phases",
        description="The run's phases and budgets: write a run's record from the steps "
        "scripts/run-all.sh noted, or print the budget table.",
    )
    parser.add_argument("--table", action="store_true", help="print the budget table")
    parser.add_argument("--record", metavar="STEPS_FILE", help="write the run's record")
    parser.add_argument("--result", help="the asv result file of the run (with --record)")
    parser.add_argument("--out", help="where the record goes (with --record)")
    parser.add_argument("--machine", default="")
    parser.add_argument("--commit", default="")
    parser.add_argument("--env", default="")
    args = parser.parse_args(argv)
    if args.table:
        print(table())
    elif args.record:
        if not args.out:
            parser.error("--record needs --out")
        rec = record(args.record, args.result, args.machine, args.commit, args.env)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump(rec, fh, indent=1)
        over = [p for p, v in rec["phases"].items() if v["seconds"] > v["budget_s"]]
        print(
            f"parbench: the run took {rec['wall_s'] / 60:.1f} min (budget {TOTAL_S // 60} min)"
            + (f"; over budget: {', '.join(over)}" if over else ""),
        )
    else:
        parser.error("one of --table, --record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
