"""Is a marked round one that another process shared?  The check of measuring.interference.

Runs the quick size set's paired measurement twice, outside asv (``measuring.pairs.
setup_cache`` with PARBENCH_SIZES=quick: 6 processes x 2 rounds, every backend):
first on a quiet machine, then with a busy process beside it (one CPU-bound Python
loop, ``BUSY_PROCESSES`` of them) from ``BUSY_START_S`` after the start for
``BUSY_S`` seconds.  From every round's note (the process records' ``case_rounds``):

* the share of the second run's rounds that overlap the busy process and are
  marked (the target: >= 80%);
* the share of the quiet rounds that are marked (the first run's, and the second
  run's outside the busy period; the target: <= 5%);
* the share of figures whose intervals in the two runs overlap, or whose case in
  the second run has a marked round (the target: >= 90%);
* the calibration table: the same two shares had the rule subtracted 0, 1 or 2
  clock ticks of counting error (``measuring.interference.SLACK_TICKS``) and used
  another limit for the others' share (``OTHERS_LIMIT``).

Run from the repository root on an otherwise idle machine (it takes about 10 minutes
on 2 cores), optionally naming the folder the records are kept in:

    .venv/bin/python measurements/interference/experiment.py [FOLDER] \
        > measurements/interference/experiment.log
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.getcwd())

from measuring import interference, pairs  # noqa: E402
from measuring.intervals import overlap  # noqa: E402
from measuring.settings import Settings  # noqa: E402

BUSY_PROCESSES = 1
BUSY_START_S = 20.0
BUSY_S = 60.0


def _run(results, busy):
    """One quick paired measurement under ``results``; returns (its records, the busy
    period (start, stop) in time.monotonic or None)."""
    settings = Settings.from_environment({"PARBENCH_SIZES": "quick"})
    period = []

    def load():
        time.sleep(BUSY_START_S)
        procs = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(BUSY_PROCESSES)
        ]
        period.append(time.monotonic())
        time.sleep(BUSY_S)
        for p in procs:  # only the processes started here, by their handles
            p.kill()
            p.wait()
        period.append(time.monotonic())

    thread = threading.Thread(target=load, daemon=True) if busy else None
    if thread:
        thread.start()
    cache = pairs.setup_cache(settings, results)
    if thread:
        thread.join()
    (folder,) = glob.glob(os.path.join(results, "paired", "*", "*"))
    records = []
    for path in sorted(glob.glob(os.path.join(folder, "process-*.json"))):
        with open(path) as fh:
            records.append(json.load(fh))
    return cache, records, tuple(period) if period else None


def _notes(records):
    """[(case, at, seconds, marked, steal, others)] of every round of ``records``."""
    out = []
    for r in records:
        for case, (_noted, _marked, notes) in r.get("case_rounds", {}).items():
            for note in notes:
                out.append((case, note[0], note[1], note[-1], note[2], note[3]))
    return out


def _calibration(inside, quiet):
    """Print the share of busy and quiet rounds each (ticks, others limit) rule marks."""
    tick = 1.0 / os.sysconf("SC_CLK_TCK")
    cpus = interference.usable_cpus()

    def marked(note, ticks, limit):
        seconds, steal, others = note[2], note[4], note[5]
        slack = ticks * tick / (cpus * seconds)
        return steal - slack > interference.STEAL_LIMIT or others - slack > limit

    print("calibration: rounds marked, beside the busy process / quiet (both runs)")
    print("| ticks subtracted | others limit | busy rounds | quiet rounds |")
    print("|---|---|---|---|")
    for ticks in (0, 1, 2):
        for limit in (0.05, 0.10, 0.15, 0.20):
            busy = _share(marked(n, ticks, limit) for n in inside)
            calm = _share(marked(n, ticks, limit) for n in quiet)
            print(f"| {ticks} | {limit:.2f} | {busy[2]:.1f}% | {calm[2]:.1f}% |")


def _share(flags):
    flags = list(flags)
    return (sum(flags), len(flags), 100.0 * sum(flags) / len(flags) if flags else float("nan"))


def main():
    # the records stay (argv[1], default a new temporary folder) for a second look
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="parbench-interference-")
    quiet_dir, busy_dir = os.path.join(out, "quiet"), os.path.join(out, "busy")
    print(f"records under {out}")
    if True:
        t0 = time.monotonic()
        quiet, quiet_records, _ = _run(quiet_dir, busy=False)
        print(f"quiet run: {time.monotonic() - t0:.0f} s, {len(quiet_records)} processes")
        t0 = time.monotonic()
        busy, busy_records, (start, stop) = _run(busy_dir, busy=True)
        print(
            f"busy run: {time.monotonic() - t0:.0f} s,"
            f" busy process from {start - t0:.0f} s to {stop - t0:.0f} s"
        )
    quiet_notes = _notes(quiet_records)
    busy_notes = _notes(busy_records)
    inside = [n for n in busy_notes if n[1] < stop and n[1] + n[2] > start]
    outside = [n for n in busy_notes if not (n[1] < stop and n[1] + n[2] > start)]
    print(
        "rounds overlapping the busy process, marked: {} of {} ({:.1f}%)".format(
            *_share(n[3] for n in inside)
        )
    )
    print(
        "quiet run's rounds, marked: {} of {} ({:.1f}%)".format(*_share(n[3] for n in quiet_notes))
    )
    print(
        "busy run's rounds outside it, marked: {} of {} ({:.1f}%)".format(
            *_share(n[3] for n in outside)
        )
    )
    _calibration(inside, quiet_notes + outside)
    marked_cases = {n[0] for n in busy_notes if n[3]}
    plan = pairs.make_plan(Settings.from_environment({"PARBENCH_SIZES": "quick"}))
    agree = []
    for key, a in quiet.items():
        b = busy.get(key)
        if isinstance(a, str) or b is None or isinstance(b, str):
            continue
        case = json.dumps(list(pairs.case_of(plan, key)))
        agree.append(overlap(a, b) or case in marked_cases)
    print(
        "figures overlapping, or marked in the busy run: {} of {} ({:.1f}%)".format(*_share(agree))
    )


if __name__ == "__main__":
    main()
