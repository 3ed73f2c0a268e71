"""``python -m benchmarks.plot`` on the results committed in results/, as a new user runs it.

A fresh clone's first look at parbench is the report of the committed runs: every
machine folder's newest run must give summary.md and report.html (exit status 0),
written to a temporary folder so the committed plots/ stay as they are.  And a run
whose benchmarks.json no longer names a benchmark's parameters (asv rewrites that
file with the suite of the latest run) gets a report that says what it leaves out.
"""

import json
from pathlib import Path

import pytest

from benchmarks.report.results import Run, find_runs, select_runs

from .asv_writer import Benchmarks, write_machine, write_run
from .report_data import REPO, run_python

RESULTS = Path(REPO) / "results"
MACHINES = sorted(find_runs(str(RESULTS)))


def test_committed_results_have_a_machine():
    assert MACHINES, f"no asv results under {RESULTS}"


@pytest.mark.parametrize("machine", MACHINES)
def test_plot_writes_report_of_newest_committed_run(machine, tmp_path):
    proc = run_python(
        "-m", "benchmarks.plot", "--machine", machine, "--output", str(tmp_path), "--format", "png"
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    for name in ("summary.md", "report.html"):
        assert (tmp_path / machine / name).stat().st_size > 1000, name


def _farm_results(root, names_in_meta):
    """A results folder of one run with the farm's benchmarks; benchmarks.json names their
    parameters only if ``names_in_meta``."""
    res = root / "results"
    write_machine(res)
    bench = Benchmarks()
    schedulers, dists, counts = ["pool-map", "pool-imap"], ["heavy-tailed"], [16]
    bench.add("suite.MatVecSerial.track_time", [[16, 256]], ["N"], [1e-6, 1e-4])
    bench.add("suite.MatVec.track_time", [["numba"], [16, 256]], ["backend", "N"], [2e-6, 6e-5])
    farm = [schedulers, dists, counts, ["extra"]]  # one parameter more than the reader knows
    bench.add(
        "taskfarm.Farm.track_makespan", farm, ["scheduler", "distribution", "T", "x"], [0.01, 0.02]
    )
    bench.add("taskfarm.FarmOverhead.track_per_task", [schedulers], ["scheduler"], [3e-5, 1e-4])
    meta = dict(bench.meta)
    if not names_in_meta:
        meta = {k: v for k, v in meta.items() if not k.startswith("taskfarm.")}
    (res / "benchmarks.json").write_text(json.dumps(meta))
    write_run(res, "a" * 40, 1700000000000, bench.rows)
    return res


def test_farm_without_parameter_names_is_read_with_the_benchmarks_own(tmp_path):
    res = _farm_results(tmp_path, names_in_meta=False)
    (header,) = select_runs(find_runs(str(res)))
    run = Run(header, str(res))
    overhead = dict(
        (p["scheduler"], v)
        for p, v in run.entries("FarmOverhead", "track_per_task", ("scheduler",))
    )
    assert overhead == {"pool-map": 3e-5, "pool-imap": 1e-4}
    # four stored parameters, three expected: left out, and said why
    assert run.entries("Farm", "track_makespan", ("scheduler", "distribution", "T")) == []
    assert "taskfarm.Farm.track_makespan" in run.unreadable


def test_report_says_what_it_cannot_read(tmp_path):
    res = _farm_results(tmp_path, names_in_meta=False)
    out = tmp_path / "plots"
    proc = run_python(
        "-m", "benchmarks.plot", "--results", str(res), "--output", str(out), "--format", "png"
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = (out / "testbox" / "summary.md").read_text()
    page = (out / "testbox" / "report.html").read_text()
    for text in (summary, page):
        assert "Not shown: results this report cannot read" in text
        assert "taskfarm.Farm.track_makespan" in text
    # the overhead, whose one parameter is known, is still reported
    assert "pool-imap" in summary


def test_committed_benchmarks_json_names_every_committed_benchmark():
    """The committed newest runs' benchmarks are all in results/benchmarks.json (the file a
    fresh clone's report and `asv publish` read their parameter names from)."""
    meta = json.loads((RESULTS / "benchmarks.json").read_text())
    for machine in MACHINES:
        (header,) = select_runs(find_runs(str(RESULTS)), machine=machine)
        results = json.loads(open(header["path"]).read())["results"]
        missing = sorted(set(results) - set(meta))
        assert not missing, f"{header['path']}: not in benchmarks.json: {missing}"
