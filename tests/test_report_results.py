"""benchmarks.report.results: finding, selecting and reading asv's result files."""

import json
import math

import pytest

from benchmarks.report.results import (
    Run,
    SelectionError,
    find_runs,
    format_date,
    guess_param_names,
    parse_param,
    select_runs,
)

from .report_data import (
    INFO,
    MACHINE,
    NEW_COMMIT,
    OLD_COMMIT,
    ROOF_READ,
    ROOF_TRIAD,
    newest_run,
    write_results,
)


def test_find_runs_reads_headers_and_skips_other_json(asv_results):
    (asv_results / MACHINE / "notes.json").write_text('{"not": "a run"}')
    (asv_results / MACHINE / "broken.json").write_text("{")
    runs = find_runs(str(asv_results))
    assert list(runs) == [MACHINE]
    assert sorted(h["commit"] for h in runs[MACHINE]) == sorted([OLD_COMMIT, NEW_COMMIT])
    assert {h["machine"] for h in runs[MACHINE]} == {MACHINE}
    assert find_runs(str(asv_results / "missing")) == {}


def test_select_newest_and_by_commit_prefix(asv_results):
    runs = find_runs(str(asv_results))
    (newest,) = select_runs(runs)
    assert newest["commit"] == NEW_COMMIT
    (old,) = select_runs(runs, machine=MACHINE, commit=OLD_COMMIT[:6].upper())
    assert old["commit"] == OLD_COMMIT


def test_select_errors_name_the_choices(asv_results):
    runs = find_runs(str(asv_results))
    with pytest.raises(SelectionError, match=MACHINE):
        select_runs(runs, machine="nosuch")
    with pytest.raises(SelectionError) as exc:
        select_runs(runs, commit="deadbeef")
    assert OLD_COMMIT[:8] in str(exc.value) and NEW_COMMIT[:8] in str(exc.value)
    # the newest first
    assert str(exc.value).index(NEW_COMMIT[:8]) < str(exc.value).index(OLD_COMMIT[:8])
    twins = {MACHINE: [dict(h, commit="ab" + h["commit"]) for h in runs[MACHINE]]}
    with pytest.raises(SelectionError, match="ambiguous"):
        select_runs(twins, commit="ab")


def test_run_facts(asv_results):
    run = newest_run(asv_results)
    assert run.commit == NEW_COMMIT
    assert run.workers == 2
    assert run.roofs == {"read": ROOF_READ, "triad": ROOF_TRIAD}
    assert run.info == INFO
    assert run.itemsize == 8
    assert run.roof_fractions == {
        ("matvec", "numba"): 88.0,
        ("sum", "numba"): 95.0,
        ("sum", "mpi"): 101.0,
    }  # NaN (skipped) left out
    assert run.machine_fact("cpu") == "Test CPU @ 3.00GHz"
    assert run.machine_fact("python") == "3.11"  # from the run's env params


def test_entries_keep_nan_and_null_apart(asv_results):
    run = newest_run(asv_results)
    entries = {(p["backend"], p["N"]): v for p, v in run.entries("MatVec", "track_time")}
    assert entries[("numba", 256)] == 5e-5
    assert math.isnan(entries[("opencl", 16)])  # skipped
    assert entries[("mpi", 256)] is None  # failed
    # MatVecEndToEnd's row has asv's trailing null columns dropped
    e2e = run.entries("MatVecEndToEnd", "track_time")
    assert [p["backend"] for p, _ in e2e][:3] == ["opencl"] * 3
    # VectorSumEndToEnd stored "result": null: every combination failed
    assert all(v is None for _, v in run.entries("VectorSumEndToEnd", "track_time"))
    assert run.entries("NoSuchClass", "track_time") == []


def test_run_without_benchmarks_json_guesses_param_names(asv_results):
    (asv_results / "benchmarks.json").unlink()
    run = newest_run(asv_results)
    params = [p for p, _ in run.entries("MatVec", "track_time")]
    assert params[0] == {"backend": "numpy", "N": 16}


def test_run_without_info_falls_back_to_num_cpu(tmp_path):
    res = write_results(tmp_path, with_roof=False, with_info=False)
    run = newest_run(res)
    assert run.workers == 2  # from machine.json num_cpu
    assert run.info == {} and run.roofs == {}


def test_float32_run_info(tmp_path):
    res = write_results(tmp_path, info=dict(INFO, dtype="float32", workers="3"))
    run = newest_run(res)
    assert run.workers == 3  # RunInfo's workers beat machine.json's num_cpu
    assert run.itemsize == 4


def test_parse_param_and_names():
    assert parse_param("'numba'") == "numba"
    assert parse_param("1024") == 1024
    assert parse_param("not a literal") == "not a literal"
    assert parse_param(json.dumps({"a": 1})) == {"a": 1}
    assert guess_param_names([["numba", "mpi"], [16, 32]]) == ["backend", "N"]
    assert guess_param_names([[16], [32], [1.5]]) == ["N", "p1", "p2"]


def test_format_date():
    assert format_date(1700000000000) == "2023-11-14 22:13 UTC"
    assert format_date("soon") == "unknown date"


def test_unreadable_run_file_raises(tmp_path):
    header = {
        "path": str(tmp_path / "gone.json"),
        "machine": MACHINE,
        "commit": "c",
        "date": 0,
        "env_name": "",
    }
    with pytest.raises(OSError):
        Run(header, str(tmp_path))
