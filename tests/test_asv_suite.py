"""A quick asv run of the whole suite (benchmarks/) ends with a number for every backend x N."""

import json
import math
import os
import subprocess
import sys

import pytest

from benchmarks import common
from kernels import BACKENDS, BackendUnavailable, get_backend
from measuring.asv_store import bench_regex

from .helpers import ROOT, asv_project, asv_run_args, processes_tagged, result_rows


def _available(name):
    try:
        with get_backend(name):  # default workers: PoCL fixes its thread count at first use
            return True
    except BackendUnavailable:
        return False


@pytest.mark.timeout(1500)
def test_quick_asv_run_has_no_failed_or_skipped_benchmark(tmp_path):
    """As scripts/run-all.sh runs it: asv runs all but the benchmarks the paired
    measurement holds, then measuring.asv_store writes those into asv's results."""
    env, tag, results = asv_project(tmp_path)  # tag: inherited by every process the run starts
    r = subprocess.run(
        asv_run_args("-b", bench_regex()),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    stored = subprocess.run(
        [sys.executable, "-m", "measuring.asv_store", "--machine", "ci", "--results", str(results)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stored.returncode == 0, stored.stdout + stored.stderr
    assert result_rows(results)["paired.Measurement.track_figures"][0] > 0

    kernel_rows = {k: v for k, v in result_rows(results).items() if k.startswith("suite.")}
    expected = {
        "MatVec",
        "MatVecEndToEnd",
        "MatVecEndToEndCold",
        "MatVecSerial",
        "VectorSum",
        "VectorSumEndToEnd",
        "VectorSumEndToEndCold",
        "VectorSumSerial",
    }
    assert {k.split(".")[1] for k in kernel_rows} == expected
    unavailable = [b for b in BACKENDS if not _available(b)]
    for name, values in kernel_rows.items():
        assert values, name
        failed = [i for i, v in enumerate(values) if v is None]
        assert not failed, f"{name}: failed entries {failed}\n{r.stdout[-4000:]}"
        if not unavailable:
            skipped = [i for i, v in enumerate(values) if isinstance(v, float) and math.isnan(v)]
            assert not skipped, f"{name}: skipped entries {skipped}"
        assert all(v > 0 for v in values if v is not None and not math.isnan(v)), name

    # the ping-pong benchmarks (benchmarks/pingpong.py): every transport x size has a number
    pingpong = {k: v for k, v in result_rows(results).items() if k.startswith("pingpong.")}
    assert set(pingpong) == {
        "pingpong.PingPongLatency.track_one_way_time",
        "pingpong.PingPongBandwidth.track_bandwidth",
    }
    for name, values in pingpong.items():
        assert values and None not in values, f"{name}: {values}\n{r.stdout[-4000:]}"
        if "mpi" not in unavailable:
            assert all(v > 0 for v in values), f"{name}: {values}"

    # ipyparallel against its library's own calls (benchmarks.paired's LibraryRatio)
    library = {k: v for k, v in result_rows(results).items() if "LibraryRatio" in k}
    assert {k.split(".")[1] for k in library} == {"MatVecLibraryRatio", "VectorSumLibraryRatio"}
    for name, values in library.items():
        assert values and None not in values, f"{name}: {values}"

    # the task farm (benchmarks/taskfarm.py): every benchmark ran; skips only where a
    # scheduler is unavailable here (its reason is in the run's stderr)
    farm_rows = {k: v for k, v in result_rows(results).items() if k.startswith("taskfarm.")}
    assert set(farm_rows) == {
        "taskfarm.Farm.track_makespan",
        "taskfarm.Farm.track_efficiency",
        "taskfarm.FarmOverhead.track_per_task",
        "taskfarm.FarmRun.track_id",
    }
    for name, values in farm_rows.items():
        values = values if isinstance(values, list) else [values]
        assert values and not any(v is None for v in values), f"{name}: {values}"
    assert list((results / "farm").glob("*.json.gz")), "no farm timelines beside the results"

    # every benchmark carries its explicit version (benchmarks/versions.json), so the
    # committed history continues whatever the code's layout
    discovered = json.loads((results / "benchmarks.json").read_text())
    table = common.versions()
    names = [k for k in discovered if k != "version"]
    assert sorted(names) == sorted(table), set(names) ^ set(table)
    assert {k: discovered[k]["version"] for k in names} == table

    # no process started by the run outlives it
    assert not processes_tagged(tag)


def test_leak_check_sees_a_leaked_process():
    """The leftover-process check above (helpers.processes_tagged) must be able to fail."""
    tag = f"leak-check-{os.getpid()}"
    proc = subprocess.Popen(["sleep", "30"], env={**os.environ, "PARBENCH_TEST_TAG": tag})
    try:
        assert processes_tagged(tag)
    finally:
        proc.kill()
        proc.wait()
    assert not processes_tagged(tag)
