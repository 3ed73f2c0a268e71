"""benchmarks.report.precision: the figures short of their target, read from figures.json."""

import json

from benchmarks.report import page, precision
from benchmarks.report.results import Run, find_runs, select_runs

from .asv_writer import Benchmarks, write_machine, write_run

COMMIT = "b" * 40


def _run(tmp_path, entries):
    """A run of one paired figure, with ``entries`` as its figures.json (None: no file)."""
    bench = Benchmarks()
    bench.add_intervals(
        "paired.VectorSumSpeedup",
        [["resident"], ["mpi"], [4096]],
        ["mode", "backend", "N"],
        [(2.0, 1.5, 2.5)],
    )
    res = tmp_path / "results"
    write_machine(res)
    write_run(res, COMMIT, 1700000000000, bench.rows)
    (res / "benchmarks.json").write_text(json.dumps(bench.meta))
    if entries is not None:
        folder = res / "paired" / "testbox" / f"{COMMIT[:8]}-env-plan"
        folder.mkdir(parents=True)
        (folder / "figures.json").write_text(json.dumps(entries))
    (header,) = select_runs(find_runs(str(res)))
    return Run(header, str(res))


def _entry(met, why="", tie=False):
    status = {"met": met, "why": why, "processes": 10, "rounds": 40, "seconds": 31.5}
    status["marked rounds"] = [30, 44] if tie else [0, 40]
    return {
        "interval": [2.0, 1.5, 2.5, 10, 40],
        "processes": [2.0] * 10,
        "status": {**status, "tie open": tie},
    }


def test_a_figure_short_of_its_target_is_listed_with_why(tmp_path):
    key = json.dumps(["speedup", "sum", "resident", "mpi", 4096])
    ok = json.dumps(["speedup", "sum", "resident", "numba", 4096])
    run = _run(tmp_path, {key: _entry(False, "budget", tie=True), ok: _entry(True)})
    text = precision.markdown(run)
    assert (
        "| speedup sum resident mpi 4096 | 2 [1.5, 2.5] | 25.0% | 10 | 40 | 32 s | budget |" in text
    )
    assert "numba" not in text.split("Still tied")[0]
    assert "- speedup sum resident mpi 4096\n" in text  # the open tie
    assert "- speedup sum resident mpi 4096: 30 of 44 rounds marked" in text
    (section,) = page.precision_section(type("R", (), {"run": run})(), [])
    assert section.tables[0].rows == precision.rows(run)


def test_every_figure_met_says_so(tmp_path):
    key = json.dumps(["speedup", "sum", "resident", "mpi", 4096])
    run = _run(tmp_path, {key: _entry(True)})
    assert "None: every figure met its target." in precision.markdown(run)


def test_a_run_without_statuses_has_no_section(tmp_path):
    assert precision.markdown(_run(tmp_path, None)) == ""
    assert page.precision_section(type("R", (), {"run": _run(tmp_path / "x", None)})(), []) == []


def test_the_n_a_machine_did_not_run_are_one_sentence_not_a_skip_per_backend(tmp_path):
    """plan.json's grid beyond its sizes (measuring.sizes) is said once, per kernel."""
    key = json.dumps(["speedup", "sum", "resident", "mpi", 4096])
    run = _run(tmp_path, {key: _entry(True)})
    assert precision.not_run(run) == {}  # no plan: an older run measured the whole grid
    (folder,) = (tmp_path / "results" / "paired" / "testbox").iterdir()
    plan = {
        "grid": {"matvec": [64, 128], "sum": [4096, 2**16, 2**18]},
        "sizes": {"matvec": [64, 128], "sum": [4096]},
    }
    (folder / "plan.json").write_text(json.dumps(plan))
    assert precision.not_run(run) == {"sum": [2**16, 2**18]}
    line = precision.not_run_line(precision.not_run(run))
    assert line.startswith("Not run on this machine: sum N = 65536, 262144. A smaller N")
    assert precision.not_run_line({}) == ""
