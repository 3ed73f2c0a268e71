"""benchmarks.plot on a synthetic results directory written in asv 0.6's format."""

import json
import math
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from benchmarks import plot  # noqa: E402
NAN = float("nan")
MACHINE = "testbox"
OLD_COMMIT = "0123456789abcdef0123456789abcdef01234567"
NEW_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
ENV = "virtualenv-py3.11-numpy"
COLUMNS = [
    "result",
    "params",
    "version",
    "started_at",
    "duration",
    "stats_ci_99_a",
    "stats_ci_99_b",
    "stats_q_25",
    "stats_q_75",
    "stats_number",
    "stats_repeat",
    "samples",
    "profile",
]
BACKENDS = ["numpy", "numba", "cython-openmp", "opencl", "multiprocessing", "mpi"]
DATA_BACKENDS = ["opencl", "multiprocessing", "mpi"]
MV_N = [16, 256, 4096]
SUM_N = [1000, 1000000]

# seconds per call, in the order of MV_N; None = failed (null), NAN = skipped
MV_SERIAL = [1e-5, 1e-4, 1e-2]
MV_RESIDENT = {
    "numpy": [1e-5, 1e-4, 1e-2],  # ties serial everywhere: crossover "never"
    "numba": [2e-5, 5e-5, 5e-3],  # speedups 0.5, 2, 2: crossover 256
    "cython-openmp": [5e-6, 5e-5, 5e-3],  # faster everywhere: crossover 16
    "opencl": [NAN, 4e-5, 4e-3],  # skipped at 16; speedup 2.5; crossover 256
    "multiprocessing": [1e-3, 1e-3, 2e-2],  # slower everywhere: "never"
    "mpi": [1e-3, None, 2.5e-3],  # failed at 256; speedup 4; crossover 4096
}
MV_E2E = {
    "opencl": [1e-3, 2e-3, 2e-2],
    "multiprocessing": None,  # whole benchmark failed: asv stores "result": null
    "mpi": [NAN, NAN, NAN],
}
SUM_SERIAL = [1e-6, 1e-3]
SUM_RESIDENT = {
    "numpy": [1e-6, 1e-3],
    "numba": [2e-6, 4e-4],  # speedup 2.5 at 1e6, loses at 1000: crossover 1000000
    "cython-openmp": [NAN, NAN],
    "opencl": [5e-5, 5e-4],
    "multiprocessing": [1e-4, 2e-3],
    "mpi": [3e-5, 9e-4],
}
ROOF_READ, ROOF_TRIAD = 30.0, 25.0
INFO = {"blas": "openblas 0.3.27 (1 thread)", "workers": "2", "mpi": "MPICH 5.0.2", "dtype": "float64"}


def _r(v):
    return repr(v)


def _meta(name, params, param_names, unit="seconds"):
    return {
        "code": "def track_time(self): ...",
        "name": name,
        "param_names": param_names,
        "params": [[_r(v) for v in vals] for vals in params],
        "type": "track",
        "unit": unit,
        "version": "0" * 64,
    }


def _row(values, params, full=True):
    """One result row aligned with COLUMNS; ``full=False`` drops trailing columns like asv."""
    row = [values, [[_r(v) for v in vals] for vals in params], "0" * 64, 1700000000000, 1.5]
    if full:
        n = 1 if values is None else len(values)
        row += [[None] * n, [None] * n, [None] * n, [None] * n, [1] * n, [10] * n, None, None]
        row = row[:-2]  # asv pops trailing nulls (samples, profile)
    return row


def _product(table, backends, ns):
    out = []
    for b in backends:
        vals = table.get(b)
        for i in range(len(ns)):
            out.append(None if vals is None else vals[i])
    return out


def write_results(root, with_roof=True, with_info=True, info=None):
    """Write results/benchmarks.json, machine.json and two runs (old and new)."""
    res = root / "results"
    (res / MACHINE).mkdir(parents=True)
    benchmarks = {"version": 2}
    rows = {}

    def add(name, params, names, values, unit="seconds", full=True):
        benchmarks[name] = _meta(name, params, names, unit)
        rows[name] = _row(values, params, full)

    add("suite.MatVec.track_time", [BACKENDS, MV_N], ["backend", "N"], _product(MV_RESIDENT, BACKENDS, MV_N))
    e2e = _product(MV_E2E, DATA_BACKENDS, MV_N)
    # the "multiprocessing" rows are null inside a list here; the whole-null case is VectorSumEndToEnd
    add("suite.MatVecEndToEnd.track_time", [DATA_BACKENDS, MV_N], ["backend", "N"], e2e, full=False)
    add("suite.MatVecSerial.track_time", [MV_N], ["N"], MV_SERIAL)
    add("suite.VectorSum.track_time", [BACKENDS, SUM_N], ["backend", "N"], _product(SUM_RESIDENT, BACKENDS, SUM_N))
    add("suite.VectorSumEndToEnd.track_time", [DATA_BACKENDS, SUM_N], ["backend", "N"], None)
    add("suite.VectorSumSerial.track_time", [SUM_N], ["N"], SUM_SERIAL)
    if with_roof:
        add("roof.MemoryRoof.track_read", [], [], [ROOF_READ], unit="GB/s")
        add("roof.MemoryRoof.track_triad", [], [], [ROOF_TRIAD], unit="GB/s")
    add("roof.RoofFraction.track_percent", [["matvec", "sum"], ["numba", "mpi"]],
        ["kernel", "backend"], [88.0, NAN, 95.0, 101.0], unit="%")
    # seed-mpi at 4096: 5e-3 s vs mpi resident 2.5e-3 s -> parbench 2x faster
    add("seeds.SeedMatVec.track_time", [["seed-mpi", "seed-opencl"], [256, 4096]], ["variant", "N"],
        [1e-3, 5e-3, NAN, 8e-3])
    add("seeds.SeedRatio.track_ratio", [["matvec:seed-mpi", "sum:seed-numba"]], ["kernel:variant"],
        [0.9, NAN], unit="ratio")
    if with_info:
        settings = json.dumps(INFO if info is None else info, sort_keys=True)
        add("runinfo.RunInfo.track_info", [[settings]], ["settings"], [2], unit="workers")

    (res / "benchmarks.json").write_text(json.dumps(benchmarks, indent=4, sort_keys=True))
    (res / MACHINE / "machine.json").write_text(
        json.dumps(
            {
                "arch": "x86_64",
                "cpu": "Test CPU @ 3.00GHz",
                "machine": MACHINE,
                "num_cpu": "2",
                "os": "Linux 6.1",
                "ram": "25769803776",
                "version": 1,
            }
        )
    )
    for commit, date, factor in ((OLD_COMMIT, 1700000000000, 10.0), (NEW_COMMIT, 1700000500000, 1.0)):
        results = {}
        for name, row in rows.items():
            row = json.loads(json.dumps(row))
            if factor != 1.0 and name.endswith(".track_time"):
                if row[0] is not None:
                    row[0] = [None if v is None else v * factor for v in row[0]]
            results[name] = row
        data = {
            "commit_hash": commit,
            "env_name": ENV,
            "date": date,
            "params": {"machine": MACHINE, "python": "3.11", "num_cpu": "2"},
            "python": "3.11",
            "requirements": {"numpy": ""},
            "env_vars": {},
            "result_columns": COLUMNS,
            "results": results,
            "durations": {"<build>": 1.0},
            "version": 2,
        }
        path = res / MACHINE / f"{commit[:8]}-{ENV}.json"
        # json.dumps writes NaN as the bare token NaN, exactly as asv does
        path.write_text(json.dumps(data))
        assert "NaN" in path.read_text()
    return res


def _rows_by_key(run, kernel):
    rows, missing = plot.summarize(run, kernel)
    return {(r["backend"], r["mode"]): r for r in rows}, missing


@pytest.fixture
def results(tmp_path):
    return write_results(tmp_path)


def _newest_run(res):
    (header,) = plot.select_runs(plot.find_runs(str(res)))
    return plot.Run(header, str(res))


def _check_png(path):
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def _check_svg(path):
    text = path.read_text()
    assert len(text) > 1000
    assert "<svg" in text


def test_main_writes_every_figure(results, tmp_path, capsys):
    out = tmp_path / "plots"
    assert plot.main(["--results", str(results), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    for kernel in ("matvec", "sum"):
        for what in ("time", "speedup", "bandwidth"):
            _check_png(out / MACHINE / f"{kernel}-{what}.png")
            _check_svg(out / MACHINE / f"{kernel}-{what}.svg")
            assert str(out / MACHINE / f"{kernel}-{what}.png") in printed
    assert (out / MACHINE / "summary.md").read_text().startswith("# parbench summary")
    assert "crossover N" in printed
    assert NEW_COMMIT[:8] in printed


def test_summary_numbers(results):
    run = _newest_run(results)
    assert run.commit == NEW_COMMIT
    assert run.workers() == 2
    assert run.roofs() == {"read": ROOF_READ, "triad": ROOF_TRIAD}
    rows, missing = _rows_by_key(run, "matvec")

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

    assert ("opencl", "matvec", 16, "resident", "skipped") in missing
    assert ("mpi", "matvec", 256, "resident", "failed") in missing
    assert ("multiprocessing", "matvec", 4096, "end-to-end", "failed") in missing
    assert ("mpi", "matvec", 16, "end-to-end", "skipped") in missing

    rows, missing = _rows_by_key(run, "sum")
    assert rows[("numba", "resident")]["speedup"] == pytest.approx(2.5)
    assert rows[("numba", "resident")]["crossover"] == 1000000
    assert rows[("numba", "resident")]["gbs"] == pytest.approx(8 * 1e6 / 4e-4 / 1e9)
    assert rows[("opencl", "resident")]["crossover"] == 1000000
    assert ("cython-openmp", "sum", 1000, "resident", "skipped") in missing
    # VectorSumEndToEnd stored "result": null (whole benchmark failed)
    assert ("opencl", "sum", 1000, "end-to-end", "failed") in missing


def test_crossover_rule():
    assert plot.crossover({}) is None
    assert plot.crossover({1: 2.0, 2: 0.9, 3: 1.5, 4: 1.2}) == 3
    assert plot.crossover({1: 2.0, 2: 3.0}) == 1
    assert plot.crossover({1: 2.0, 2: 1.0}) == "never"


def test_summary_text_and_markdown(results, tmp_path, capsys):
    out = tmp_path / "plots"
    assert plot.main(["--results", str(results), "--output", str(out), "--format", "png"]) == 0
    printed = capsys.readouterr().out
    md = (out / MACHINE / "summary.md").read_text()
    # numba matvec resident: 26.86 GB/s, 89.5% of the 30 GB/s read roof, 20.0 us, 2.00x, 256
    line = next(
        ln for ln in md.splitlines() if ln.startswith("| matvec | numba | resident |")
    )
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells == ["matvec", "numba", "resident", "26.86", "89.5%", "88.0%", "4096", "20.0", "16", "2.00x", "256"]
    assert "| matvec | numpy | resident |" in md and "never" in md
    assert "skipped or failed: opencl matvec 16 (resident, skipped)" in printed
    assert "skipped or failed: mpi matvec 256 (resident, failed)" in md
    plain = next(ln for ln in printed.splitlines() if ln.split()[:3] == ["matvec", "numba", "resident"])
    assert plain.split() == cells
    assert not list((out / MACHINE).glob("*.svg"))  # --format png only


def test_nan_and_null_are_gaps_not_zero(results):
    run = _newest_run(results)
    for func in (plot.plot_time, plot.plot_bandwidth, plot.plot_speedup):
        fig = func(run, "matvec")
        lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
        opencl = list(lines["opencl"].get_ydata())
        assert math.isnan(opencl[0]) and all(v > 0 for v in opencl[1:])
        mpi = list(lines["mpi"].get_ydata())
        assert math.isnan(mpi[1]) and not math.isnan(mpi[0]) and mpi[2] > 0
        e2e = list(lines["mpi (end-to-end) - no data"].get_ydata())
        assert all(math.isnan(v) for v in e2e)
        assert list(lines["opencl"].get_xdata()) == MV_N
    fig = plot.plot_speedup(run, "matvec")
    ys = {tuple(ln.get_ydata()) for ln in fig.axes[0].get_lines() if len(set(ln.get_ydata())) == 1}
    assert (1.0, 1.0) in ys and (2.0, 2.0) in ys  # break-even and the worker count


def test_commit_option_picks_older_run(results, tmp_path, capsys):
    out = tmp_path / "plots"
    assert plot.main(["--results", str(results), "--output", str(out), "--commit", OLD_COMMIT[:6], "--format", "svg"]) == 0
    printed = capsys.readouterr().out
    assert OLD_COMMIT[:8] in printed and NEW_COMMIT[:8] not in printed
    (header,) = plot.select_runs(plot.find_runs(str(results)), commit=OLD_COMMIT[:6])
    run = plot.Run(header, str(results))
    rows, _ = _rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["floor_us"] == pytest.approx(200.0)  # old run is 10x slower


def test_partial_run_without_roof_or_info(tmp_path, capsys):
    res = write_results(tmp_path, with_roof=False, with_info=False)
    out = tmp_path / "plots"
    assert plot.main(["--results", str(res), "--output", str(out), "--format", "png"]) == 0
    run = _newest_run(res)
    rows, _ = _rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["roof_pct"] is None
    assert run.workers() == 2  # from machine.json num_cpu
    assert "not measured" in capsys.readouterr().out
    _check_png(out / MACHINE / "matvec-bandwidth.png")


def test_float32_run_halves_bytes(tmp_path):
    res = write_results(tmp_path, info=dict(INFO, dtype="float32", workers="3"))
    run = _newest_run(res)
    assert run.workers() == 3  # RunInfo's workers beat machine.json's num_cpu
    rows, _ = _rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["gbs"] == pytest.approx(4 * (4096 * 4096 + 2 * 4096) / 5e-3 / 1e9)
    rows, _ = _rows_by_key(run, "sum")
    assert rows[("numba", "resident")]["gbs"] == pytest.approx(4 * 1e6 / 4e-4 / 1e9)


def test_caption_has_machine_and_run_info(results):
    cap = plot.caption(_newest_run(results))
    assert "num_cpu 2" in cap and "Test CPU" in cap and "MPICH 5.0.2" in cap
    assert "ram 24.0 GiB" in cap


@pytest.mark.parametrize("argv_extra", [[], ["--machine", MACHINE]])
def test_bad_selection_exits_2(results, tmp_path, capsys, argv_extra):
    base = ["--results", str(results), "--output", str(tmp_path / "p")]
    assert plot.main(base + ["--machine", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and MACHINE in err
    assert plot.main(base + argv_extra + ["--commit", "deadbeef"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and OLD_COMMIT[:8] in err and NEW_COMMIT[:8] in err


def test_empty_results_exit_1(tmp_path, capsys):
    empty = tmp_path / "results"
    empty.mkdir()
    (empty / "benchmarks.json").write_text('{"version": 2}')
    for d in (empty, tmp_path / "missing"):
        assert plot.main(["--results", str(d), "--output", str(tmp_path / "p")]) == 1
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1
        assert "no asv results" in captured.err and "asv run" in captured.err
    assert not (tmp_path / "p").exists()


def _run_module(*args):
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.plot", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_module_subprocess(results, tmp_path):
    out = tmp_path / "plots"
    proc = _run_module("--results", str(results), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    _check_png(out / MACHINE / "sum-speedup.png")
    _check_svg(out / MACHINE / "matvec-time.svg")
    assert str(out / MACHINE / "summary.md") in proc.stdout


def test_module_subprocess_no_results(tmp_path):
    proc = _run_module("--results", str(tmp_path / "nothing"), "--output", str(tmp_path / "p"))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "no asv results in" in proc.stderr and "`asv run`" in proc.stderr
    assert proc.stdout == ""


def test_help_explains_every_option():
    proc = _run_module("--help")
    assert proc.returncode == 0
    for opt in ("--results", "--machine", "--commit", "--output", "--format"):
        assert opt in proc.stdout


def test_no_matplotlib_at_import():
    code = "import sys, benchmarks.plot; print('matplotlib' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.stdout.strip() == "False", proc.stderr


def test_alternated_roof_and_seed_comparison(results):
    run = plot.Run(plot.select_runs(plot.find_runs(str(results)))[0], str(results))
    rows, _ = _rows_by_key(run, "matvec")
    assert rows[("numba", "resident")]["alt_pct"] == 88.0
    assert rows[("mpi", "resident")]["alt_pct"] is None  # NaN: skipped, not zero
    sums, _ = _rows_by_key(run, "sum")
    assert sums[("mpi", "resident")]["alt_pct"] == 101.0
    seeds = plot.seed_comparison(run)
    # seed-mpi at 256 has no mpi resident number (failed): no row; seed-opencl 4096 vs 4e-3 s
    assert [(r[1], r[2], r[3]) for r in seeds] == [("seed-mpi", "mpi", 4096), ("seed-opencl", "opencl", 4096)]
    assert seeds[0][6] == pytest.approx(2.0) and seeds[1][6] == pytest.approx(2.0)


def test_alternated_seed_ratio(results):
    run = plot.Run(plot.select_runs(plot.find_runs(str(results)))[0], str(results))
    assert plot.seed_ratios(run) == {("matvec", "seed-mpi"): 0.9}  # NaN (skipped) left out
