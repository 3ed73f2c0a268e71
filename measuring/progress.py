"""Progress of the paired measurement, shown in the terminal that started the run.

asv keeps a benchmark process's output to itself until the benchmark ends, and
the paired measurement is one asv ``setup_cache`` that lasts most of the run.
So the measuring code writes its state to a small JSON file instead
(``Reporter``), and a follower started beside ``asv run`` prints it
(``python -m measuring.progress FILE --while-pid PID``, as scripts/run-all.sh
does): a line at least every ``EVERY_S`` seconds while the state changes, plain
lines with no cursor tricks, so a log without a terminal (CI) reads the same.

``PARBENCH_PROGRESS``: the file to write (scripts/run-all.sh sets it).  Unset,
``Reporter`` writes its lines straight to the controlling terminal (/dev/tty)
when there is one, so a plain ``asv run`` shows them too, and does nothing
when there is none.

The state: phase, what is being measured, processes done of planned, the
seconds spent and an estimate of the seconds left (from the mean duration of
the processes done so far).
"""

import argparse
import json
import os
import sys
import time

PROGRESS_ENV = "PARBENCH_PROGRESS"
#: seconds between two lines at most while the measurement runs
EVERY_S = 30.0


def line(state, now=None):
    """One progress line (str) of ``state`` (a dict as ``Reporter`` writes it)."""
    now = time.time() if now is None else now
    parts = []
    if state.get("total"):
        parts.append(f"{state.get('done', 0)}/{state['total']} processes done")
    if state.get("current"):
        parts.append(f"now {state['current']}")
    if state.get("spent_s") is not None:
        parts.append(f"{state['spent_s'] / 60:.1f} min spent")
    if state.get("left_s") is not None:
        parts.append(f"about {state['left_s'] / 60:.1f} min left")
    stamp = time.strftime("%H:%M:%S", time.localtime(now))
    return f"parbench {stamp} {state.get('phase', '?')}: " + ", ".join(parts)


class Reporter:
    """Writes the measurement's state where the terminal that started the run sees it.

    ``path``: the JSON file (default: ``PARBENCH_PROGRESS``; None or "" writes
    lines to /dev/tty at most every ``EVERY_S`` seconds, if there is a terminal).
    Writing never raises: progress must not stop a measurement.
    """

    def __init__(self, phase, total=None, path=None, budget_s=None, least=0):
        self.path = os.environ.get(PROGRESS_ENV) if path is None else path
        self.state = {"phase": phase, "total": total, "done": 0, "started": time.time()}
        if budget_s is not None:  # no process starts past the budget after the first ``least``
            self.state.update(budget_s=budget_s, least=least)
        self.durations = []
        self._last_tty = 0.0

    def as_json(self):
        """The reporter's state as JSON, for a measuring process to continue it (``from_json``)."""
        return json.dumps({"path": self.path, "state": self.state, "durations": self.durations})

    @classmethod
    def from_json(cls, text):
        """A reporter continuing the state of ``as_json``'s text (in a measuring process)."""
        d = json.loads(text)
        rep = cls(d["state"].get("phase"), d["state"].get("total"), d["path"] or "")
        rep.state, rep.durations = d["state"], d["durations"]
        return rep

    def process_done(self, seconds):
        """One more process finished after ``seconds``."""
        self.durations.append(seconds)
        self.state["done"] = len(self.durations)
        self.state.pop("current", None)  # the process that measured it has ended
        self.update()

    def finish(self):
        """The measurement ended after the processes done so far (fewer than planned
        when every figure was known early, or the budget was spent)."""
        self.state["total"] = self.state["done"]
        self.state.pop("current", None)
        self.update()

    def update(self, current=None):
        """Record what is being measured now (``current``: e.g. "sum mpi N=4096")."""
        if current is not None:
            self.state["current"] = current
        now = time.time()
        self.state["spent_s"] = now - self.state["started"]
        total, done = self.state.get("total"), self.state["done"]
        if total and self.durations:
            mean = sum(self.durations) / len(self.durations)
            left = mean * (total - done)
            if self.state.get("budget_s") is not None:
                must = mean * max(0, self.state["least"] - done)
                left = min(left, max(must, self.state["budget_s"] - self.state["spent_s"]))
            self.state["left_s"] = max(0.0, left)
        self.state["updated"] = now
        try:
            if self.path:
                tmp = f"{self.path}.tmp"
                with open(tmp, "w") as fh:
                    json.dump(self.state, fh)
                os.replace(tmp, self.path)  # the follower never reads half a file
            elif now - self._last_tty >= EVERY_S:
                with open("/dev/tty", "w") as tty:
                    print(line(self.state, now), file=tty, flush=True)
                self._last_tty = now
        except OSError:
            pass


def _alive(pid):
    """True while process ``pid`` runs (a zombie, ended but not yet reaped, has ended)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _at(state, now):
    """``state`` with its spent and left seconds carried forward to ``now``."""
    state = dict(state)
    since = now - state.get("updated", now)
    state["spent_s"] = now - state.get("started", now)
    if state.get("left_s") is not None:
        state["left_s"] = max(0.0, state["left_s"] - since)
    return state


def follow(path, while_pid, every=EVERY_S, poll=1.0, out=sys.stdout):
    """Print ``path``'s state every ``every`` seconds while process ``while_pid`` lives.

    Nothing before the file exists; one last line when the measurement has done
    all its processes, then nothing more (the rest of the run is asv's to show).
    """
    last_printed, finished = 0.0, False
    while _alive(while_pid):
        try:
            with open(path) as fh:
                state = json.load(fh)
        except (OSError, ValueError):
            state = None
        now = time.time()
        if state is not None and not finished:
            finished = bool(state.get("total")) and state.get("done", 0) >= state["total"]
            if finished or now - last_printed >= every:
                print(line(_at(state, now), now), file=out, flush=True)
                last_printed = now
        time.sleep(poll)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m measuring.progress",
        description="Print the paired measurement's progress (written to FILE by the "
        "measuring code, see PARBENCH_PROGRESS) while process PID runs.",
    )
    parser.add_argument("file", help="the progress file (PARBENCH_PROGRESS of the run)")
    parser.add_argument("--while-pid", type=int, required=True, help="stop when PID has ended")
    parser.add_argument(
        "--every", type=float, default=EVERY_S, help=f"seconds between lines (default {EVERY_S:g})"
    )
    args = parser.parse_args(argv)
    if args.every <= 0:
        parser.error("--every must be > 0")
    follow(args.file, args.while_pid, args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
