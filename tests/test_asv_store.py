"""measuring.asv_store: the paired figures written into asv's result file with asv's API."""

import json
import math
import re

import pytest

from measuring import asv_store, figures
from measuring.process_records import run_prefix

from .asv_writer import ENV, MACHINE, Benchmarks, write_machine, write_run

pytest.importorskip("asv")

COMMIT = "c" * 40
PLAN = {"sizes": {"matvec": [16, 256], "sum": [16, 4096]}, "backends": ["numpy", "mpi"]}


def _fig(name):
    (fig,) = [f for f in figures.FIGURES if f.name == name]
    return fig


def _results(tmp_path, entries):
    """results/ with benchmarks.json of three listed benchmarks and one run asv made
    (only RunInfo-like rows), and the run's finished paired measurement."""
    bench = Benchmarks()
    bench.add("runinfo.RunInfo.track_info", [["{}"]], ["info"], [1.0], unit="unitless")
    meta = dict(bench.meta)
    speedup, serial, seed = _fig("VectorSumSpeedup"), _fig("VectorSumSerial"), _fig("SeedRatio")
    for fig, params in (
        (speedup, [["resident"], ["numpy", "mpi"], [16, 4096]]),
        (serial, [[16, 4096]]),
        (seed, [["sum:seed-mpi"]]),
    ):
        extra = Benchmarks()
        for m in fig.methods:
            extra.add(f"{fig.module}.{fig.name}.{m}", params, fig.param_names, [0.0])
        meta.update(extra.meta)
    res = tmp_path / "results"
    write_machine(res)
    write_run(res, COMMIT, 1700000000000, bench.rows)
    (res / "benchmarks.json").write_text(json.dumps(meta))
    folder = res / "paired" / MACHINE / f"{run_prefix(COMMIT, ENV)}-abcd0123"
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(json.dumps(PLAN))
    (folder / "figures.json").write_text(json.dumps(entries))
    return res


def _entry(estimate):
    return {"interval": [estimate, estimate * 0.9, estimate * 1.1, 6, 12], "processes": []}


def test_every_listed_benchmark_gets_its_numbers(tmp_path):
    from asv.results import Results

    entries = {
        json.dumps(["speedup", "sum", "resident", "mpi", 4096]): _entry(1.5),
        json.dumps(["speedup", "sum", "resident", "numpy", 16]): _entry(1.0),
        json.dumps(["speedup", "sum", "resident", "mpi", 16]): {
            "interval": "BackendUnavailable: no mpi",
            "processes": [],
        },
        json.dumps(["time", "sum", "serial", "numpy", 4096]): _entry(2e-6),
        # the seed ratio's N: the largest of every other N of the plan's sizes, [16, 4096][::2]
        json.dumps(["seed ratio", "sum", "resident", "seed-mpi", 16]): _entry(3.0),
    }
    res = _results(tmp_path, entries)
    result_file = asv_store.newest_result(str(res), MACHINE, COMMIT)
    written = asv_store.store(str(res), MACHINE, result_file)
    assert (
        "paired.VectorSumSpeedup.track_low" in written and "seeds.SeedRatio.track_ratio" in written
    )
    loaded = Results.load(result_file, MACHINE)
    low = loaded.get_result_value(
        "paired.VectorSumSpeedup.track_low", [["'resident'"], ["'numpy'", "'mpi'"], ["16", "4096"]]
    )
    # itertools.product order: (numpy, 16), (numpy, 4096), (mpi, 16), (mpi, 4096)
    assert low[0] == pytest.approx(0.9) and math.isnan(low[1]) and math.isnan(low[2])
    assert low[3] == pytest.approx(1.35)
    assert loaded.get_result_value("suite.VectorSumSerial.track_time", [["16", "4096"]])[1] == 2e-6
    assert loaded.get_result_value("seeds.SeedRatio.track_ratio_high", [["'sum:seed-mpi'"]]) == [
        pytest.approx(3.3)
    ]
    # what asv ran itself is still there
    assert "runinfo.RunInfo.track_info" in loaded.get_all_result_keys()


def test_a_run_without_its_paired_measurement_is_an_error(tmp_path):
    res = _results(tmp_path, {})
    for path in (res / "paired").rglob("figures.json"):
        path.unlink()
    result_file = asv_store.newest_result(str(res), MACHINE, COMMIT)
    with pytest.raises(FileNotFoundError, match="no paired measurement of cccccccc"):
        asv_store.store(str(res), MACHINE, result_file)
    assert asv_store.main(["--machine", MACHINE, "--results", str(res)]) == 1


def test_the_regex_leaves_out_exactly_the_listed_benchmarks():
    regex = re.compile(asv_store.bench_regex())
    assert not regex.search("paired.MatVecSpeedup.track_estimate")
    assert not regex.search("suite.MatVec.track_time")
    assert not regex.search("suite.VectorSumSerial.track_time(16)")
    assert regex.search("suite.MatVecEndToEndCold.track_time")
    assert regex.search("paired.Measurement.track_figures")
    assert regex.search("roof.MemoryRoof.track_read")
    assert regex.search("seeds.SeedMatVec.track_time")


def test_under_python_same_the_unnamed_measurement_is_the_runs(tmp_path):
    """asv names no commit or environment to a --python=same benchmark: its records are
    "nocommit-noenv-..." and the store takes the newest of them."""
    res = _results(tmp_path, {json.dumps(["time", "sum", "serial", "numpy", 4096]): _entry(2e-6)})
    (folder,) = (res / "paired" / MACHINE).iterdir()
    folder.rename(folder.parent / f"{run_prefix(None, None)}-abcd0123")
    result_file = asv_store.newest_result(str(res), MACHINE, COMMIT)
    assert "suite.VectorSumSerial.track_time" in asv_store.store(str(res), MACHINE, result_file)
