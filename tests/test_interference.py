"""measuring.interference on synthetic /proc/stat and /proc/pressure/cpu readings."""

import pytest

from measuring import interference as itf

STAT = """cpu  {user} 0 {system} 900 3 0 0 {steal} 0 0
cpu0 1 0 1 450 1 0 0 0 0 0
intr 1
procs_running {running}
procs_blocked 0
"""
PRESSURE = "some avg10=0.00 avg60=0.00 avg300=0.00 total={us}\nfull avg10=0.00 total=0\n"


def _snap(wall, user, system, steal, own, running=1, psi_us=0):
    busy, st, run = itf.parse_stat(
        STAT.format(user=user, system=system, steal=steal, running=running), 100
    )
    return itf.Snapshot(wall, busy, st, own, itf.parse_pressure(PRESSURE.format(us=psi_us)), run)


def test_parse_stat_reads_busy_steal_and_running():
    busy, steal, running = itf.parse_stat(STAT.format(user=100, system=50, steal=7, running=3), 100)
    assert (busy, steal, running) == (1.5, 0.07, 3)
    with pytest.raises(ValueError):
        itf.parse_stat("intr 1\n", 100)


def test_parse_pressure():
    assert itf.parse_pressure(PRESSURE.format(us=2500000)) == 2.5
    assert itf.parse_pressure("") is None


def test_a_quiet_round_is_not_marked():
    """1 s on 2 CPUs: the tree used 1.9 CPU-seconds of the 1.9 busy, no steal."""
    before = _snap(0.0, 0, 0, 0, own=0.0)
    after = _snap(1.0, 150, 40, 0, own=1.9)
    i = itf.between(before, after, cpus=2, tick=0.01)
    assert i.steal == 0 and i.others == pytest.approx(0.0) and not itf.is_marked(i)


def test_another_process_is_marked():
    """Another process used 0.6 of the 2 CPU-seconds (30%) beside the tree's 1.2."""
    before = _snap(0.0, 0, 0, 0, own=0.0)
    after = _snap(1.0, 150, 30, 0, own=1.2, running=3, psi_us=400000)
    i = itf.between(before, after, cpus=2, tick=0.01)
    assert i.others == pytest.approx(0.3) and i.pressure == pytest.approx(0.4)
    assert i.running == 3 and itf.is_marked(i)


def test_steal_is_marked():
    before = _snap(0.0, 0, 0, 0, own=0.0)
    after = _snap(1.0, 150, 40, 20, own=1.9)  # 0.2 s stolen of 2 CPU-seconds: 10%
    i = itf.between(before, after, cpus=2, tick=0.01)
    assert i.steal == pytest.approx(0.1) and itf.is_marked(i)


def test_one_tick_in_a_short_round_is_within_the_counting_error():
    """20 ms on 2 CPUs: one tick of others (10 ms, 25%) is the ticks' error, two are not."""
    before = _snap(0.0, 0, 0, 0, own=0.0)
    after = _snap(0.02, 3, 0, 0, own=0.02)
    i = itf.between(before, after, cpus=2, tick=0.01)
    assert i.others == pytest.approx(0.25) and not itf.is_marked(i)
    busier = itf.between(before, _snap(0.02, 4, 0, 0, own=0.02), cpus=2, tick=0.01)
    assert busier.others == pytest.approx(0.5) and itf.is_marked(busier)


def test_snapshot_reads_this_machine():
    s = itf.snapshot()
    assert s.busy > 0 and s.own > 0 and s.running >= 1
    assert itf.usable_cpus() >= 1


class _Marks:
    """A watch that marks the rounds listed in ``marked`` (0-based, in the order seen)."""

    def __init__(self, marked, retries=2):
        self.marked, self.retries, self.notes = set(marked), retries, []

    def start(self):
        pass

    def stop(self):
        mark = len(self.notes) in self.marked
        self.notes.append((None, mark))
        return mark


def test_alternate_measures_a_marked_round_again():
    from measuring.timing import alternate

    calls = []
    watch = _Marks({0})
    rows = alternate([lambda: calls.append(1)], 3, repeats=1, min_batch=0, watch=watch)
    assert len(rows) == 3 and len(watch.notes) == 4  # round 1 measured again


def test_alternate_keeps_marked_rounds_once_its_retries_are_spent():
    from measuring.timing import alternate

    watch = _Marks({0, 1, 2, 3, 4}, retries=2)
    rows = alternate([lambda: None], 3, repeats=1, min_batch=0, watch=watch)
    assert len(rows) == 3 and len(watch.notes) == 5


def test_a_real_watch_notes_every_round():
    from measuring.timing import alternate

    watch = itf.Watch(retries=0)
    alternate([lambda: sum(range(1000))], 2, repeats=1, min_batch=1e-3, watch=watch)
    noted, marked, notes = watch.summary()
    assert noted == 2 and 0 <= marked <= 2 and len(notes[0]) == 8
