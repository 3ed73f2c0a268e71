"""Who else used the machine during a round: steal time, other processes, CPU pressure.

A shared virtual machine loses time to two neighbours the measurement cannot
see in its own timings: the hypervisor, which runs another guest on this guest's
CPU (the *steal* counter of /proc/stat), and other processes of this guest. So
every round of ``measuring.timing.alternate`` is bracketed by two ``Snapshot``s
and ``between`` turns them into an ``Interference``:

* ``steal``: steal seconds, all CPUs, as a share of the round's CPU capacity
  (wall seconds x usable CPUs);
* ``others``: CPU seconds the whole machine was busy (/proc/stat: user, nice,
  system, irq, softirq) minus what this process and its children used (psutil),
  as a share of the same capacity;
* ``pressure``: the share of the round's wall time in which some runnable task
  waited for a CPU (/proc/pressure/cpu, "some"; Linux 4.20+, microseconds), which
  a round's own threads cause too when they outnumber the CPUs;
* ``running``: the most runnable tasks seen at either end (/proc/stat procs_running).

/proc/stat and psutil count in clock ticks (10 ms at USER_HZ 100), so the
``steal`` and ``others`` of a round shorter than a few ticks per CPU are coarse:
``is_marked`` subtracts one tick (``Interference.slack``) before it compares
them with their limits.  Nothing here needs root.

How the limits and the one tick were chosen (``measurements/interference/``: the
quick set measured on a quiet machine, then with one CPU-bound process beside it
for 60 s; rounds of 25-75 ms): a quiet round's ``others`` is 0 or one tick
(17% of quiet rounds show one tick, 0.1-0.35 of a 30 ms round's capacity), a
round beside the busy process shows 0.2-0.55.  Subtracting the worst-case error
(a tick per CPU and per process of the tree, this module's first rule) left most
short rounds unmarkable: 38% of the busy rounds were marked.  One tick and a 10%
limit mark 88% of the busy rounds and 2.8% of the quiet ones; 5% for steal, the
hypervisor's share that already slows a round measurably on 2 CPUs.
"""

import dataclasses
import os
import time

#: /proc/stat's cpu line fields that count busy time (user nice system idle iowait irq
#: softirq steal ...): indexes of user, nice, system, irq, softirq
BUSY_FIELDS = (0, 1, 2, 5, 6)
STEAL_FIELD = 7
#: a round is marked when the hypervisor took more than this share of its CPU capacity
STEAL_LIMIT = 0.05
#: ... or other processes of this machine used more than this share of it
OTHERS_LIMIT = 0.10
#: the counting error subtracted first, in clock ticks (see the module's calibration)
SLACK_TICKS = 1


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The machine's counters at one moment (seconds; ``pressure`` None without PSI)."""

    wall: float
    busy: float
    steal: float
    own: float
    pressure: float
    running: int


@dataclasses.dataclass(frozen=True)
class Interference:
    """What happened beside the measurement during one round (shares of 0..1, see module).

    ``at``: when the round started (time.monotonic, the same clock in every process
    of the machine); ``seconds``: how long it took.
    """

    at: float
    seconds: float
    steal: float
    others: float
    pressure: float
    running: int
    slack: float  # the counting error of steal and others (SLACK_TICKS), a share of the capacity

    def as_list(self):
        """[at, seconds, steal, others, pressure, running, slack], rounded, for a JSON record."""
        return [
            round(self.at, 3),
            round(self.seconds, 6),
            round(self.steal, 4),
            round(self.others, 4),
            None if self.pressure is None else round(self.pressure, 4),
            self.running,
            round(self.slack, 4),
        ]


def parse_stat(text, ticks_per_s):
    """(busy seconds, steal seconds, procs_running) of /proc/stat's ``text``.

    Raises ValueError when the aggregate "cpu" line is missing.
    """
    busy = steal = None
    running = 0
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]]
            busy = sum(values[i] for i in BUSY_FIELDS if i < len(values)) / ticks_per_s
            steal = (values[STEAL_FIELD] if len(values) > STEAL_FIELD else 0) / ticks_per_s
        elif fields and fields[0] == "procs_running":
            running = int(fields[1])
    if busy is None:
        raise ValueError("no aggregate cpu line in /proc/stat")
    return busy, steal, running


def parse_pressure(text):
    """Seconds of CPU pressure ("some" total) of /proc/pressure/cpu's ``text``, or None."""
    for line in text.splitlines():
        if line.startswith("some "):
            for field in line.split()[1:]:
                if field.startswith("total="):
                    return int(field[len("total=") :]) / 1e6
    return None


def _read(path):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return None


def _own_cpu(process):
    """CPU seconds of ``process`` and its live children."""
    import psutil

    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def snapshot(process=None):
    """The counters now; ``process``: the psutil.Process whose tree is ours (default: this one)."""
    import psutil

    ticks = os.sysconf("SC_CLK_TCK")
    busy, steal, running = parse_stat(_read("/proc/stat") or "", ticks)
    text = _read("/proc/pressure/cpu")
    own = _own_cpu(process or psutil.Process())
    return Snapshot(
        time.monotonic(),
        busy,
        steal,
        own,
        None if text is None else parse_pressure(text),
        running,
    )


def between(before, after, cpus, tick=None):
    """The ``Interference`` of the interval between two snapshots on ``cpus`` usable CPUs."""
    tick = 1.0 / os.sysconf("SC_CLK_TCK") if tick is None else tick
    wall = max(after.wall - before.wall, 1e-9)
    capacity = wall * cpus
    steal = max(0.0, after.steal - before.steal)
    others = max(0.0, (after.busy - before.busy) - (after.own - before.own))
    pressure = None
    if before.pressure is not None and after.pressure is not None:
        pressure = min(1.0, max(0.0, after.pressure - before.pressure) / wall)
    slack = SLACK_TICKS * tick
    return Interference(
        before.wall,
        wall,
        steal / capacity,
        others / capacity,
        pressure,
        max(before.running, after.running),
        slack / capacity,
    )


def is_marked(interference, steal_limit=STEAL_LIMIT, others_limit=OTHERS_LIMIT):
    """True when the hypervisor or other processes took more than their limit of the
    round, beyond one tick's counting error (``Interference.slack``)."""
    return (
        interference.steal - interference.slack > steal_limit
        or interference.others - interference.slack > others_limit
    )


def usable_cpus():
    """The CPUs this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Watch:
    """Brackets the rounds of one alternation and keeps a note of each.

    ``start()`` before a round, ``stop()`` after it: True when the round is marked
    (``is_marked``).  ``notes``: [(Interference, marked)] of every round, marked
    ones that were measured again included.  ``retries``: how many marked rounds
    ``measuring.timing.alternate`` measures again.  The process tree is listed
    once, when the watch is made: the case's workers are running by then.
    """

    def __init__(self, cpus=None, process=None, retries=2):
        import psutil

        self.cpus = cpus or usable_cpus()
        self.process = process or psutil.Process()
        self.retries = retries
        self.notes = []
        self._before = None

    def start(self):
        self._before = snapshot(self.process)

    def stop(self):
        note = between(self._before, snapshot(self.process), self.cpus)
        marked = is_marked(note)
        self.notes.append((note, marked))
        return marked

    def summary(self):
        """[rounds noted, rounds marked, [each note's ``as_list()`` + [marked]]]."""
        marked = sum(1 for _, m in self.notes if m)
        return [len(self.notes), marked, [n.as_list() + [m] for n, m in self.notes]]
