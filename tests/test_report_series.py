"""benchmarks.report.series: series, speedups, crossover, bandwidth, rows and seeds."""

import pytest

from benchmarks.report import series
from benchmarks.report.results import Run, find_runs, select_runs
from kernels.facts import BACKENDS, bytes_moved

from .report_data import INFO, MV_N, OLD_COMMIT, ROOF_READ, newest_run, rows_by_key, write_results


def test_summary_numbers(asv_results):
    run = newest_run(asv_results)
    rows, missing = rows_by_key(run, "matvec")

    numba = rows[("numba", "resident")]
    assert numba["speedup"] == pytest.approx(2.0)
    assert numba["crossover"] == 256
    assert numba["floor_us"] == pytest.approx(20.0)
    assert numba["n_max"] == 4096 and numba["n_min"] == 16
    gbs = 8 * (4096 * 4096 + 2 * 4096) / 5e-3 / 1e9
    assert numba["gbs"] == pytest.approx(gbs)
    assert numba["roof_pct"] == pytest.approx(100 * gbs / ROOF_READ)

    assert rows[("numpy", "resident")]["crossover"] == "never"  # a tie does not beat
    assert rows[("numpy", "resident")]["speedup"] == pytest.approx(1.0)
    assert rows[("cython-openmp", "resident")]["crossover"] == 16
    assert rows[("multiprocessing", "resident")]["crossover"] == "never"
    opencl = rows[("opencl", "resident")]
    assert opencl["speedup"] == pytest.approx(2.5)
    assert opencl["crossover"] == 256
    assert opencl["n_min"] == 256  # N=16 was skipped: the floor is at the smallest measured N
    assert opencl["floor_us"] == pytest.approx(40.0)
    mpi = rows[("mpi", "resident")]
    assert mpi["speedup"] == pytest.approx(4.0)
    assert mpi["crossover"] == 4096

    e2e = rows[("opencl", "end-to-end")]
    assert e2e["speedup"] == pytest.approx(0.5)
    assert e2e["crossover"] == "never"
    for backend in ("multiprocessing", "mpi"):  # nothing measured: all missing, never zero
        r = rows[(backend, "end-to-end")]
        assert r["gbs"] is None and r["speedup"] is None and r["crossover"] is None

    serial = rows[("numpy", "serial")]
    assert serial["speedup"] == pytest.approx(1.0)
    assert serial["floor_us"] == pytest.approx(10.0)
    assert serial["crossover"] is None

    assert ("opencl", "matvec", 16, "resident", "skipped") in missing
    assert ("mpi", "matvec", 256, "resident", "failed") in missing
    assert ("multiprocessing", "matvec", 4096, "end-to-end", "failed") in missing
    assert ("mpi", "matvec", 16, "end-to-end", "skipped") in missing

    rows, missing = rows_by_key(run, "sum")
    assert rows[("numba", "resident")]["speedup"] == pytest.approx(2.5)
    assert rows[("numba", "resident")]["crossover"] == 1000000
    assert rows[("numba", "resident")]["gbs"] == pytest.approx(8 * 1e6 / 4e-4 / 1e9)
    assert rows[("opencl", "resident")]["crossover"] == 1000000
    assert ("cython-openmp", "sum", 1000, "resident", "skipped") in missing
    # VectorSumEndToEnd stored "result": null (whole benchmark failed)
    assert ("opencl", "sum", 1000, "end-to-end", "failed") in missing


def test_older_run_numbers(asv_results):
    (header,) = select_runs(find_runs(str(asv_results)), commit=OLD_COMMIT[:6])
    rows, _ = rows_by_key(Run(header, str(asv_results)), "matvec")
    assert rows[("numba", "resident")]["floor_us"] == pytest.approx(200.0)  # old run 10x slower


def test_crossover_rule():
    assert series.crossover({}) is None
    assert series.crossover({1: 2.0, 2: 0.9, 3: 1.5, 4: 1.2}) == 3
    assert series.crossover({1: 2.0, 2: 3.0}) == 1
    assert series.crossover({1: 2.0, 2: 1.0}) == "never"


def test_kernel_series_derived_once(asv_results):
    run = newest_run(asv_results)
    ks = series.collect(run, "matvec")
    assert ks.ns == MV_N
    assert ks.keys[0] == series.BASELINE
    # resident before end-to-end for each backend, backends in registry order
    bases = [label for label, mode in ks.keys if mode != "serial"]
    assert bases == sorted(bases, key=BACKENDS.index)
    assert ks.times[("opencl", "resident")] == {256: 4e-5, 4096: 4e-3}  # NaN and None left out
    assert ks.speedups[("numba", "resident")] == pytest.approx({16: 0.5, 256: 2.0, 4096: 2.0})
    assert ks.bandwidths[("numba", "resident")][4096] == pytest.approx(
        bytes_moved("matvec", 4096, 8) / 5e-3 / 1e9
    )
    assert ks.times[("mpi", "end-to-end")] == {} and ks.speedups[("mpi", "end-to-end")] == {}


def test_analyse_collects_each_kernel_once(asv_results, monkeypatch):
    calls = []
    collect = series.collect
    monkeypatch.setattr(
        series, "collect", lambda run, k, *more: calls.append(k) or collect(run, k, *more)
    )
    report = series.analyse(newest_run(asv_results))
    assert calls == ["matvec", "sum"]
    assert [ks.kernel for ks in report.plotted()] == ["matvec", "sum"]
    assert {r["kernel"] for r in report.rows} == {"matvec", "sum"}


def test_run_without_roof_has_no_roof_pct(tmp_path):
    run = newest_run(write_results(tmp_path, with_roof=False, with_info=False))
    rows, _ = rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["roof_pct"] is None
    assert rows[("numba", "resident")]["gbs"] is not None


def test_float32_run_halves_bytes(tmp_path):
    res = write_results(tmp_path, info=dict(INFO, dtype="float32", workers="3"))
    run = newest_run(res)
    rows, _ = rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["gbs"] == pytest.approx(
        4 * (4096 * 4096 + 2 * 4096) / 5e-3 / 1e9
    )
    rows, _ = rows_by_key(run, "sum")
    assert rows[("numba", "resident")]["gbs"] == pytest.approx(4 * 1e6 / 4e-4 / 1e9)


def test_alternated_roof_and_seed_comparison(asv_results):
    run = newest_run(asv_results)
    rows, _ = rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["alt_pct"] == 88.0
    assert rows[("mpi", "resident")]["alt_pct"] is None  # NaN: skipped, not zero
    sums, _ = rows_by_key(run, "sum")
    assert sums[("mpi", "resident")]["alt_pct"] == 101.0
    seeds = series.analyse(run).seeds
    # seed-mpi at 256 has no mpi resident number (failed): no row; seed-opencl 4096 vs 4e-3 s
    assert [(r[1], r[2], r[3]) for r in seeds] == [
        ("seed-mpi", "mpi", 4096),
        ("seed-opencl", "opencl", 4096),
    ]
    assert seeds[0][6] == pytest.approx(2.0) and seeds[1][6] == pytest.approx(2.0)


def test_alternated_seed_ratio(asv_results):
    run = newest_run(asv_results)
    assert series.seed_ratios(run) == {("matvec", "seed-mpi"): 0.9}  # NaN (skipped) left out


def test_labels_and_order():
    keys = [
        ("mpi", "resident"),
        ("zeta", "resident"),
        ("numba (float32)", "end-to-end"),
        ("numba (float32)", "resident"),
        ("numpy", "serial"),
        ("numba", "resident"),
    ]
    assert series.ordered(keys) == [
        ("numpy", "serial"),
        ("numba", "resident"),
        ("numba (float32)", "resident"),
        ("numba (float32)", "end-to-end"),
        ("mpi", "resident"),
        ("zeta", "resident"),
    ]
    assert series._seed_backend("seed-mpi-allreduce") == "mpi"
    assert series._seed_backend("seed-ipyparallel") == "ipyparallel"
    assert series._seed_backend("seed-dask") is None
