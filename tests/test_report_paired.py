"""The paired figures in the report: records, series, tables and notes (benchmarks.report).

The synthetic run of ``write_results(paired=True)`` holds the PAIRED_* intervals of
tests/report_data.py; tests/data/quick-paired is a real quick run (2 processes x 3
rounds, N=16,256 matvec and 16,4096 sum) as asv wrote it.
"""

import json
import pathlib

import pytest

from benchmarks.report import records, series, tables
from benchmarks.report.records import Interval
from benchmarks.report.results import Run, find_runs
from kernels.facts import bytes_moved

from .report_data import (
    MV_N,
    MV_SERIAL,
    PAIRED_MV,
    PAIRED_MV_COST,
    PAIRED_MV_E2E,
    PAIRED_MV_FASTEST,
    PAIRED_SUM_FASTEST,
    REPO,
    ROOF_PAIRED,
    SEED_PAIRED,
    TIME_SPREAD,
    newest_run,
    write_results,
)

QUICK = pathlib.Path(__file__).parent / "data" / "quick-paired"
#: numba matvec resident at N=4096: 5e-3 s +-5% -> GB/s; RoofFraction 88 [84, 92]; 20 us
#: at N=16; 2.00x [1.90, 2.10]; faster than serial numpy from 256 to 4096
NUMBA_CELLS = (
    "matvec",
    "numba",
    "resident",
    "26.86 [25.58, 28.27]",
    "88.0% [84.0, 92.0]",
    "4096",
    "20.0 [19.0, 21.0]",
    "16",
    "2.00x [1.90, 2.10]",
    "2^8-2^12",
)


@pytest.fixture
def paired_run(tmp_path):
    return newest_run(write_results(tmp_path, paired=True))


@pytest.fixture
def paired_report(paired_run):
    return series.analyse(paired_run)


def _count(table):
    return sum(v is not None for values in table.values() for v in values)


def test_records_join_estimate_low_and_high(paired_run):
    figs = records.read(paired_run)
    assert figs[("speedup", "matvec", "resident", "numba", 256)] == Interval(2.0, 1.8, 2.2)
    assert ("speedup", "matvec", "resident", "opencl", 16) not in figs  # NaN: not measured
    speedups = records.select(figs, "speedup", "matvec")
    assert len(speedups) == _count(PAIRED_MV) + _count(PAIRED_MV_E2E)
    assert figs[("end-to-end cost", "matvec", "end-to-end", "opencl", 4096)] == Interval(
        *PAIRED_MV_COST["opencl"][2]
    )
    serial = figs[("time", "matvec", "serial", "numpy", 16)]
    assert serial == pytest.approx((1e-5, 1e-5 * (1 - TIME_SPREAD), 1e-5 * (1 + TIME_SPREAD)))
    assert not [k for k in figs if k[0] == "time" and k[2] == "serial" and k[3] != "numpy"]
    roofs = records.select(figs, "roof percent")
    assert roofs == {(k, "resident", b, None): Interval(*v) for (k, b), v in ROOF_PAIRED.items()}
    assert records.select(figs, "seed ratio") == {
        ("matvec", "resident", "seed-mpi", None): Interval(*SEED_PAIRED)
    }


def test_a_run_without_paired_figures_reads_none(asv_results):
    run = newest_run(asv_results)  # RoofFraction and SeedRatio without their bounds
    assert records.read(run) == {}
    report = series.analyse(run)
    assert not report.paired and not report.fastest and not report.costs
    assert tables.summary_header(report.paired) == tables.TABLE_HEADER


def test_paired_series_use_only_paired_figures(paired_report):
    ks = paired_report.kernels["matvec"]
    key = ("numba", "resident")
    assert ks.paired
    assert ks.speedups[key] == {n: v[0] for n, v in zip(MV_N, PAIRED_MV["numba"])}
    assert ks.interval("speedup", key)[256] == Interval(2.0, 1.8, 2.2)
    t = MV_SERIAL[2] / 2.0  # serial time / the speedup estimate
    moved = bytes_moved("matvec", 4096, 8) / 1e9
    band = ks.interval("bandwidth", key)[4096]
    assert band == pytest.approx(
        (moved / t, moved / (t * (1 + TIME_SPREAD)), moved / (t * (1 - TIME_SPREAD)))
    )
    assert ks.bandwidths[key][4096] == pytest.approx(moved / t)
    assert ks.speedups[series.BASELINE] == {}  # the baseline is not its own speedup


def test_faster_than_serial_numpy_from_intervals(paired_report):
    """The N ranges where the speedup's whole interval lies above 1 (no 'never' for a
    backend that wins some sizes)."""
    rows = {(r["kernel"], r["backend"], r["mode"]): r for r in paired_report.rows}
    faster = {b: rows[("matvec", b, "resident")]["crossover"] for b in PAIRED_MV}
    assert faster == {
        "numpy": "no N",  # every interval contains 1
        "numba": "2^8-2^12",
        "cython-openmp": "2^4-2^12",
        "opencl": "2^8-2^12",
        "multiprocessing": "no N",
        "mpi": "2^12",  # 1.2 [0.9, 1.5] at 256 contains 1
    }
    assert rows[("matvec", "mpi", "end-to-end")]["crossover"] == "2^12"
    assert rows[("matvec", "numpy", "serial")]["crossover"] is None


def test_interval_cells():
    assert tables.fmt(Interval(1.63, 1.51, 1.72), ".2f", "x") == "1.63x [1.51, 1.72]"
    assert tables.fmt(Interval(87.1, 84.0, 90.2), ".1f", "%") == "87.1% [84.0, 90.2]"
    wide = Interval(0.02, 2.2e-19, 2.8e15)  # 2 processes: t(0.975, 1) = 12.7
    assert tables.fmt(wide, ".2f", "x") == "0.02x [2.2e-19, 2.8e+15]"


def test_paired_summary_table(paired_report):
    header = tables.summary_header(True)
    assert header == tables.PAIRED_HEADER
    assert "% roof" in header and "% roof alt." not in header and len(header) == 10
    cells = tables.table_cells(paired_report.rows, paired=True)
    assert NUMBA_CELLS in cells
    serial = next(c for c in cells if c[:3] == ("matvec", "numpy", "serial"))
    assert serial[8:] == ("-", "baseline")
    md, text = tables.summary(paired_report)
    line = next(ln for ln in md.splitlines() if ln.startswith("| matvec | numba | resident |"))
    assert tuple(c.strip() for c in line.strip("|").split("|")) == NUMBA_CELLS
    assert "% roof alt." not in md and "% roof alt." not in text
    assert "89.5%" not in md  # the unpaired % roof (GB/s / MemoryRoof) is not shown


def test_cost_fastest_and_seed_cells(paired_report):
    costs = tables.cost_cells(paired_report.costs)
    # the copy bound only on the largest N's row
    assert costs[:3] == [
        ("matvec", "opencl", "16", "100.00x [90.00, 110.00]", "-"),
        ("matvec", "opencl", "256", "50.00x [45.00, 55.00]", "-"),
        ("matvec", "opencl", "4096", "4.80x [4.50, 5.10]", "1.30x [1.20, 1.40]"),
    ]
    assert ("sum", "mpi", "1000000", "2.20x [2.00, 2.40]", "1.60x [1.50, 1.70]") in costs
    fastest = tables.fastest_cells(paired_report.fastest)
    expected = [
        (kernel, str(n), f"{w} (tied: {', '.join(t)})" if t else w)
        for kernel, rows in (("matvec", PAIRED_MV_FASTEST), ("sum", PAIRED_SUM_FASTEST))
        for n, w, t in rows
    ]
    assert [c[:3] for c in fastest] == expected
    assert fastest[1] == (
        "matvec",
        "256",
        "opencl (tied: cython-openmp, numba)",
        "2.50x [2.00, 3.00]",
    )
    assert paired_report.seeds == []  # the unpaired seed comparison is not shown
    assert tables.ratio_cells(paired_report.seed_ratios) == [
        ("matvec", "seed-mpi", "0.90x [0.80, 1.00]")
    ]


def test_fastest_rule():
    speedups = {
        "a": {1: Interval(2.0, 1.8, 2.2), 2: Interval(1.0, 0.9, 1.1)},
        "b": {1: Interval(1.7, 1.5, 1.8), 2: Interval(3.0, 2.0, 4.0)},  # touches a's at 1.8
        "c": {1: Interval(1.9, 1.0, 3.0)},
    }
    assert records.fastest(speedups) == [
        (1, "a", ["c", "b"], Interval(2.0, 1.8, 2.2), ["c"]),  # c's 1.0-3.0 is wider than 2x
        (2, "b", [], Interval(3.0, 2.0, 4.0), []),
    ]


def test_paired_notes_say_what_an_interval_means(paired_report):
    notes = tables.notes(paired_report.run, paired=True)
    assert (
        "95% interval: the range that, over repeated runs of this measurement on this machine, "
        "contains the true ratio 95% of the time, from 3 processes x 4 rounds: see "
        "measuring/intervals.py"
    ) in notes
    text = "\n".join(notes)
    assert "faster than serial numpy at N = the N ranges where the speedup's 95% interval" in text
    assert '("no N" if none)' in text and "bytes moved / paired time per call" in text
    assert "% roof alt." not in text and "% roof uses" not in text
    md, printed = tables.summary(paired_report)
    assert all(n in printed for n in notes)
    assert tables.COST_TITLE in md and tables.FASTEST_TITLE in printed


def test_interval_note_without_the_paired_setting(tmp_path):
    run = newest_run(write_results(tmp_path, paired=True, with_info=False))
    assert any("from the run's processes x rounds: see" in n for n in tables.notes(run, True))
    assert records.processes_rounds("5 processes x 10 rounds, 95% t") == "5 processes x 10 rounds"
    assert records.processes_rounds(None) is None


def test_a_real_quick_run(tmp_path):
    run = newest_run(QUICK)
    report = series.analyse(run)
    assert report.paired and set(report.fastest) == {"matvec", "sum"}
    assert run.info["paired"].startswith("2 processes x 3 rounds")
    assert any("from 2 processes x 3 rounds: see" in n for n in tables.notes(run, True))
    cells = tables.table_cells(report.rows, paired=True)
    assert len({len(c) for c in cells}) == 1 and len(cells[0]) == len(tables.PAIRED_HEADER)
    assert all(c[8] == "-" or " [" in c[8] for c in cells)  # every speedup with its interval
    ks = report.kernels["matvec"]
    assert ks.ns == [16, 256]
    assert {m for _, m in ks.intervals["speedup"]} == {"resident", "end-to-end"}


def test_committed_runs_keep_the_unpaired_report():
    runs = find_runs(str(pathlib.Path(REPO) / "results"))
    headers = [h for hs in runs.values() for h in hs]
    for header in headers:
        report = series.analyse(Run(header, str(pathlib.Path(REPO) / "results")))
        with open(header["path"]) as f:
            has_paired = any(k.startswith("paired.") for k in json.load(f)["results"])
        assert report.paired == has_paired, header["path"]
        if not has_paired:  # the runs made before the paired measurement: as before
            assert tables.summary(report)[0].count("% roof alt.") >= 1
