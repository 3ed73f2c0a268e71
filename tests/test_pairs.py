"""The paired measurement (measuring/pairs.py): what one process records, and the asv cache."""

import json

import pytest

from measuring import pairs
from measuring.settings import PAIRED_DEFAULTS, Settings

PLAN = {
    "workers": 2,
    "dtype": "float64",
    "backends": ["numpy", "cython-openmp"],
    "sizes": {"matvec": [64], "sum": [4096]},
    "rounds": 2,
    "seed_rounds": 2,
    "seeds": [],
    "processes": 6,  # the fewest a 95% interval of the median can be had from
}


@pytest.fixture(scope="module")
def records():
    return [pairs.measure(PLAN) for _ in range(PLAN["processes"])]


def test_one_process_records_every_figure_of_its_plan(records):
    got = {tuple(json.loads(k)) for k in records[0].ratios}
    for backend in PLAN["backends"]:
        for kernel, n in (("matvec", 64), ("sum", 4096)):
            assert pairs.key("speedup", kernel, "resident", backend, n) in got
            assert pairs.key("time", kernel, "resident", backend, n) in got
            assert pairs.key("roof percent", kernel, "resident", backend, None) in got
    assert pairs.key("time", "sum", "serial", "numpy", 4096) in got
    for values in records[0].ratios.values():
        assert len(values) == PLAN["rounds"] and all(v > 0 for v in values)


def test_the_roof_is_a_ceiling_for_the_sum(records):
    """The sum is one of its own roof's read kernels, so no round can read above 100%."""
    for rec in records:
        for backend in PLAN["backends"]:
            k = json.dumps(pairs.key("roof percent", "sum", "resident", backend, None))
            assert all(p <= 100.0 + 1e-9 for p in rec.ratios[k]), rec.ratios[k]


def test_combine_makes_an_interval_per_figure(records):
    raw = [{"ratios": r.ratios, "skips": r.skips} for r in records]
    cache = pairs.combine(raw)
    k = pairs.key("speedup", "sum", "resident", "cython-openmp", 4096)
    est, lo, hi, k_processes, rounds = cache[k]
    assert lo <= est <= hi and k_processes == 6 and rounds == 6 * PLAN["rounds"]
    assert pairs.lookup(cache, k, 0) == est
    with pytest.raises(NotImplementedError, match="not measured"):
        pairs.lookup(cache, pairs.key("speedup", "sum", "end-to-end", "numpy", 4096), 0)


def test_a_skip_reason_reaches_the_cache():
    cache = pairs.combine(
        [{"ratios": {}, "skips": {'["speedup", "sum", "resident", "x", 1]': "no"}}]
    )
    with pytest.raises(NotImplementedError, match="no"):
        pairs.lookup(cache, ("speedup", "sum", "resident", "x", 1), 0)


@pytest.mark.timeout(300)
def test_setup_cache_runs_fresh_processes(monkeypatch, tmp_path):
    """asv's setup_cache: PARBENCH_PROCESSES processes, each ``python -c``, results
    combined; its progress file says what it did."""
    progress = tmp_path / "progress.json"
    for var, value in {
        "PARBENCH_SIZES": "quick",
        "PARBENCH_BACKENDS": "numpy",
        "PARBENCH_PROCESSES": "6",
        "PARBENCH_ROUNDS": "1",
        "PARBENCH_PROGRESS": str(progress),
    }.items():
        monkeypatch.setenv(var, value)
    cache = pairs.setup_cache(Settings.from_environment())
    est, lo, hi, k, rounds = cache[pairs.key("speedup", "matvec", "resident", "numpy", 256)]
    assert k == 6 and rounds == 6 and lo <= est <= hi
    assert not [k for k in cache if k[3] not in ("numpy",)]  # only the selected backend
    state = json.loads(progress.read_text())
    assert (state["done"], state["total"], state["left_s"]) == (6, 6, 0.0)


def test_processes_and_rounds_switches():
    for too_few in ("1", "5"):
        with pytest.raises(ValueError, match="PARBENCH_PROCESSES=.*at least 6 processes"):
            Settings.from_environment({"PARBENCH_PROCESSES": too_few})
    s = Settings.from_environment({"PARBENCH_PROCESSES": "7", "PARBENCH_ROUNDS": "4"})
    assert (s.processes, s.rounds) == (7, 4)
    quick = Settings.from_environment({"PARBENCH_SIZES": "quick", "PARBENCH_ROUNDS": "4"})
    assert (quick.processes, quick.rounds) == (PAIRED_DEFAULTS["quick"][0], 4)


def test_the_plan_carries_the_settings_so_a_measuring_process_reads_no_environment():
    s = Settings.from_environment({"PARBENCH_SIZES": "quick", "PARBENCH_DTYPE": "float32"})
    plan = pairs.make_plan(s)
    assert plan["dtype"] == "float32" and plan["grid"]["sum"] == s.sizes("sum")
    assert plan["sizes"]["sum"] == s.run_sizes("sum")
    assert Settings.from_dict(json.loads(json.dumps(s.as_dict()))) == s


def test_a_remote_backend_records_end_to_end_figures_and_its_copy_bound():
    plan = {**PLAN, "backends": ["numpy", "multiprocessing"]}
    rec = pairs.measure(plan)
    got = {tuple(json.loads(k)): v for k, v in rec.ratios.items()}
    for kernel, n in (("matvec", 64), ("sum", 4096)):
        for quantity in ("speedup", "time", "end-to-end cost"):
            assert pairs.key(quantity, kernel, "end-to-end", "multiprocessing", n) in got
        bound = got[pairs.key("copy bound", kernel, "end-to-end", "multiprocessing", None)]
        assert len(bound) == plan["rounds"] and all(v > 0 for v in bound)
    # not for a backend whose end-to-end call is its resident call
    assert pairs.key("copy bound", "sum", "end-to-end", "numpy", None) not in got


def test_a_process_measures_only_the_open_cases():
    plan = {**PLAN, "backends": ["numpy"], "only": [["sum", "numpy", 4096]]}
    rec = pairs.measure(plan)
    got = {tuple(json.loads(k)) for k in rec.ratios}
    assert got and all(k[1] == "sum" for k in got)
    assert json.loads(next(iter(rec.seconds))) == ["sum", "numpy", 4096]


def _record(values):
    """A process record whose every figure has the per-round ``values``."""
    keys = [
        pairs.key("speedup", "sum", "resident", "numpy", 4096),
        pairs.key("speedup", "sum", "resident", "cython-openmp", 4096),
        pairs.key("roof percent", "sum", "resident", "cython-openmp", None),
    ]
    return {"ratios": {json.dumps(k): values(k) for k in keys}, "skips": {}, "seconds": 10.0}


def test_later_processes_measure_only_the_cases_not_yet_known():
    import time

    plan = {**PLAN, "budget_s": 1000.0}
    rng = iter(range(100))
    steady = [_record(lambda k: [2.0, 2.0]) for _ in range(6)]
    assert pairs._next_only(steady[:5], plan, time.monotonic()) == (None, "", set())
    assert pairs._next_only(steady, plan, time.monotonic())[:2] == (None, "every figure known")
    # the roof percent of cython-openmp spreads by 30%: its case (the largest N) stays open
    spread = [
        _record(lambda k: [1.0 + 0.3 * (next(rng) % 2)] if k[0] == "roof percent" else [2.0])
        for _ in range(6)
    ]
    assert pairs._next_only(spread, plan, time.monotonic()) == (
        [["sum", "cython-openmp", 4096]],
        "",
        set(),
    )
    assert pairs._next_only(spread, {**plan, "budget_s": 5.0}, time.monotonic())[1] == "budget"


def test_when_the_budget_is_short_the_cheapest_open_cases_go_on():
    """Two open cases, 1 s and 30 s a process, 20 s of budget left: the cheap one is
    measured again, the costly one is left out (its figures end short for the budget)."""
    import time

    cheap, costly = ["sum", "numpy", 4096], ["sum", "cython-openmp", 4096]
    keys = {
        json.dumps(pairs.key("speedup", "sum", "resident", b, 4096)): b
        for b in ("numpy", "cython-openmp")
    }
    records = [
        {
            "ratios": {k: [1.0 + 0.3 * (i % 2)] for k in keys},
            "skips": {},
            "case_seconds": {json.dumps(cheap): 1.0, json.dumps(costly): 30.0},
            "seconds": 33.0,
        }
        for i in range(6)
    ]
    plan = {**PLAN, "budget_s": 1000.0}
    only, why, left_out = pairs._next_only(records, plan, time.monotonic())
    assert (only, why, left_out) == (sorted([cheap, costly]), "", set())
    only, why, left_out = pairs._next_only(records, {**plan, "budget_s": 20.0}, time.monotonic())
    assert (only, why, left_out) == ([cheap], "", {tuple(costly)})
    only, why, left_out = pairs._next_only(records, {**plan, "budget_s": 2.0}, time.monotonic())
    assert (only, why) == (None, "budget")


def test_a_process_of_the_open_cases_is_expected_to_take_their_seconds_and_the_start():
    """The budget rule's estimate: the open cases' mean seconds so far plus the mean time
    a process spent outside its cases, not a whole process's mean."""
    records = []
    for outside, open_case in ((4.0, 1.0), (6.0, 3.0)):
        cases = {json.dumps(["sum", "numpy", 4096]): open_case, json.dumps(["sum", "x", 8]): 50.0}
        records.append({"seconds": outside + sum(cases.values()), "case_seconds": cases})
    assert pairs._seconds_for(records, [("sum", "numpy", 4096)]) == 2.0 + 5.0
    # a case never timed counts 0 s: the start alone
    assert pairs._seconds_for(records, [("matvec", "numpy", 64)]) == 5.0


def test_figures_file_says_which_figures_met_their_target():
    records = [
        _record(lambda k: [1.0 + 0.3 * (k[0] == "roof percent") * (i % 2)]) for i in range(6)
    ]
    for r in records:
        r["case_seconds"] = {json.dumps(["sum", "cython-openmp", 4096]): 2.5}
    combined = pairs.combine(records)
    out = pairs.figures_file(records, combined, PLAN, "budget")
    roof = out[json.dumps(["roof percent", "sum", "resident", "cython-openmp", None])]["status"]
    assert (roof["met"], roof["why"], roof["processes"]) == (False, "budget", 6)
    assert roof["seconds"] == 15.0
    fast = out[json.dumps(["speedup", "sum", "resident", "cython-openmp", 4096])]["status"]
    assert fast["met"] and fast["why"] == ""
