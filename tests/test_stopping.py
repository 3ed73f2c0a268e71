"""measuring.stopping on synthetic processes: a known figure stops, an open one goes on,
and the fastest-backend rule separates different backends and stops on a true tie."""

import math

import numpy as np
import pytest

from measuring import stopping

MAX_PROCESSES = 30


def _process(rng, truth, sd, rounds=4):
    """One synthetic process: {key: per-round ratios} of the cases in ``truth``.

    ``truth``: {key: (true ratio, process-to-process log sd)}; rounds add a
    quarter of that sd on top.
    """
    out = {}
    for key, (ratio, process_sd) in truth.items():
        centre = math.log(ratio) + rng.normal(0, process_sd)
        out[key] = list(np.exp(centre + rng.normal(0, process_sd / 4, rounds)))
    return out


def _run(truth, seed, max_processes=MAX_PROCESSES):
    """Add processes, each measuring only the open cases, until none is open or the budget.

    Returns ({case: processes that measured it}, the final open set, {key: groups})."""
    rng = np.random.default_rng(seed)
    records, counts = [], {}
    for _ in range(max_processes):
        wanted = stopping.open_cases(records)
        if records and not wanted:
            break
        record = {
            k: v
            for k, v in _process(rng, truth, None).items()
            if not records or stopping.case_of(k) in wanted
        }
        for k in record:
            counts[stopping.case_of(k)] = counts.get(stopping.case_of(k), 0) + 1
        records.append(record)
    groups = {}
    for record in records:
        for k, v in record.items():
            groups.setdefault(k, []).append(v)
    return counts, stopping.open_cases(records), groups


def _speedup(backend, n=1024):
    return ("speedup", "sum", "resident", backend, n)


def test_half_width_is_the_reported_number():
    assert stopping.half_width((2.0, 1.9, 2.1)) == pytest.approx(0.05)


@pytest.mark.parametrize("seed", range(5))
def test_a_known_figure_stops_and_an_open_one_goes_on(seed):
    truth = {
        _speedup("quiet"): (1.0, 0.01),  # known after the first processes
        _speedup("noisy"): (3.0, 0.40),  # a half-width of 5% is out of reach
    }
    counts, still_open, _ = _run(truth, seed)
    assert counts[("sum", "quiet", 1024)] == 6  # min_processes(), then no more
    assert counts[("sum", "noisy", 1024)] == MAX_PROCESSES
    assert still_open == {("sum", "noisy", 1024)}


def test_fewer_than_six_processes_are_never_known():
    rec = {_speedup("a"): [1.0, 1.0]}
    assert stopping.open_cases([rec] * 5) == {("sum", "a", 1024)}
    assert stopping.open_cases([rec] * 6) == set()


def test_tied_backends_are_measured_until_they_separate():
    """A precise backend stays open while a wide one overlaps it, and closes once the
    wide one's interval parts from it."""
    fast = [[1.15]] * 6  # known: a half-width of 0
    overlapping = [[0.9], [1.0], [1.05], [1.1], [1.2], [1.3]]
    apart = overlapping[:4] + [[1.06], [1.07]] * 6  # 16 processes, all below 1.15
    records = [{_speedup("fast"): f, _speedup("slow"): s} for f, s in zip(fast, overlapping)]
    assert stopping.open_cases(records) == {("sum", "fast", 1024), ("sum", "slow", 1024)}
    records = [{_speedup("fast"): [1.15], _speedup("slow"): s} for s in apart]
    assert ("sum", "fast", 1024) not in stopping.open_cases(records)


@pytest.mark.parametrize("seed", range(5))
def test_a_true_tie_stops_once_both_are_within_the_target(seed):
    truth = {_speedup("a"): (1.0, 0.02), _speedup("b"): (1.0, 0.02)}
    counts, still_open, _ = _run(truth, seed)
    assert not still_open and counts[("sum", "a", 1024)] < MAX_PROCESSES


def test_a_wide_true_tie_stops_at_its_budget():
    truth = {_speedup("a"): (1.0, 0.3), _speedup("b"): (1.0, 0.3)}
    counts, still_open, _ = _run(truth, 0)
    assert counts[("sum", "a", 1024)] == MAX_PROCESSES
    assert still_open == {("sum", "a", 1024), ("sum", "b", 1024)}


def test_tie_states():
    ivs = {"a": (2.0, 1.98, 2.02), "b": (1.99, 1.97, 2.01), "c": (1.5, 1.4, 1.6)}
    leader, states = stopping.tie_state(ivs)
    assert leader == "a" and states == {"b": "equal", "c": "separate"}
    ivs["b"] = (1.9, 1.5, 2.3)
    assert stopping.tie_state(ivs)[1]["b"] == "open"
    assert stopping.open_ties(ivs) == {"a", "b"}
    # times: lower is better
    assert stopping.tie_state({"x": (1.0, 0.9, 1.1), "y": (2.0, 1.9, 2.1)}, False)[0] == "x"
    with pytest.raises(ValueError):
        stopping.tie_state({})


def test_a_figure_with_unusable_ratios_does_not_keep_its_case_open():
    bad = {_speedup("a"): [0.0, -1.0]}
    assert stopping.open_cases([bad] * 6) == set()
