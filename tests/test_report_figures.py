"""benchmarks.report.figures: what the time, speedup, bandwidth and fastest figures draw.

The paired figures are read back from the drawn artists: a band is a PolyCollection
(fill_between), a "no difference" point a marker with facecolor 'none'."""

import io
import math
import os

from matplotlib.colors import to_hex

from benchmarks.report import figures, series
from benchmarks.report.series import analyse, collect
from kernels.facts import BACKENDS

from .report_data import (
    MV_N,
    PAIRED_MV,
    PAIRED_MV_E2E,
    PAIRED_MV_FASTEST,
    ROOF_READ,
    ROOF_TRIAD,
    check_png,
    newest_run,
    write_results,
)


def _lines(fig):
    return {ln.get_label(): ln for ln in fig.axes[0].get_lines()}


def test_nan_and_null_are_gaps_not_zero(asv_results):
    run = newest_run(asv_results)
    ks = collect(run, "matvec")
    for func in (figures.plot_time, figures.plot_bandwidth, figures.plot_speedup):
        lines = _lines(func(run, ks))
        opencl = list(lines["opencl"].get_ydata())
        assert math.isnan(opencl[0]) and all(v > 0 for v in opencl[1:])
        mpi = list(lines["mpi"].get_ydata())
        assert math.isnan(mpi[1]) and not math.isnan(mpi[0]) and mpi[2] > 0
        e2e = list(lines["mpi (end-to-end) - no data"].get_ydata())
        assert all(math.isnan(v) for v in e2e)
        assert list(lines["opencl"].get_xdata()) == MV_N
    fig = figures.plot_speedup(run, ks)
    ys = {tuple(ln.get_ydata()) for ln in fig.axes[0].get_lines() if len(set(ln.get_ydata())) == 1}
    assert (1.0, 1.0) in ys and (2.0, 2.0) in ys  # break-even and the worker count


def test_lines_carry_the_series_numbers(asv_results):
    run = newest_run(asv_results)
    ks = collect(run, "matvec")
    key = ("numba", "resident")
    for func, values in (
        (figures.plot_time, ks.times),
        (figures.plot_speedup, ks.speedups),
        (figures.plot_bandwidth, ks.bandwidths),
    ):
        line = _lines(func(run, ks))["numba"]
        assert list(line.get_ydata()) == [values[key][n] for n in MV_N]
    time_lines = _lines(figures.plot_time(run, ks))
    assert "numpy serial (baseline)" in time_lines
    assert "numpy serial (baseline)" not in _lines(figures.plot_speedup(run, ks))
    roofs = [lb for lb in _lines(figures.plot_bandwidth(run, ks)) if lb.startswith("roof")]
    assert roofs == [f"roof: read {ROOF_READ:.1f} GB/s", f"roof: triad {ROOF_TRIAD:.1f} GB/s"]


def test_colours_follow_the_registry_order():
    keys = [("numpy", "serial")] + [(b, "resident") for b in reversed(BACKENDS)]
    keys += [("zeta", "resident"), ("numba (float32)", "end-to-end")]
    colors = figures.colors(keys)
    for i, b in enumerate(BACKENDS):
        assert colors[b] == figures.PALETTE[i]
    # labels the registry does not have: the next colours, in order of appearance
    assert colors["zeta"] == figures.PALETTE[len(BACKENDS)]
    assert colors["numba (float32)"] == figures.PALETTE[len(BACKENDS) + 1]
    assert "numpy" in colors  # the resident numpy line, not the black serial baseline


def test_figures_use_the_caption_and_kernel_title(asv_results):
    run = newest_run(asv_results)
    fig = figures.plot_time(run, collect(run, "sum"), cap="a caption")
    assert [t.get_text() for t in fig.texts] == ["a caption"]
    assert fig.axes[0].get_title().startswith("vector sum (s = sum(a)): time per call")


def _bands(fig):
    from matplotlib.collections import PolyCollection

    return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


def _hollow(fig):
    """{colour: [x of each hollow marker]} of the lines drawn with hollow markers only."""
    out = {}
    for ln in fig.axes[0].get_lines():
        if ln.get_markerfacecolor() == "none" and ln.get_linestyle() == "None":
            out.setdefault(to_hex(ln.get_markeredgecolor()), []).extend(ln.get_xdata())
    return out


def _paired(tmp_path, kernel="matvec"):
    run = newest_run(write_results(tmp_path, paired=True))
    report = analyse(run)
    return run, report.kernels[kernel]


def test_speedup_bands_and_hollow_no_difference(tmp_path):
    run, ks = _paired(tmp_path)
    fig = figures.plot_speedup(run, ks)
    with_data = [k for k in ks.keys if ks.interval("speedup", k)]
    assert len(with_data) == len(PAIRED_MV) + len(PAIRED_MV_E2E)  # 6 resident, 3 end-to-end
    bands = _bands(fig)
    assert len(bands) == len(with_data)  # one band per backend and mode with data
    lines = _lines(fig)
    palette = figures.colors(ks.keys)
    for band, (label, _mode) in zip(bands, with_data):
        assert band.get_alpha() == figures.BAND_ALPHA
        assert to_hex(band.get_facecolor()[0]) == palette[label]
    # numpy's intervals contain 1 at every N, mpi's at 256 only (1.2 [0.9, 1.5])
    hollow = _hollow(fig)
    assert hollow == {palette["numpy"]: MV_N, palette["mpi"]: [256]}
    assert lines["numpy"].get_markevery() == []
    assert lines["mpi"].get_markevery() == [0, 2]
    assert lines["numba"].get_markevery() is None  # no interval of numba's contains 1
    assert figures.HOLLOW_NOTE in fig.axes[0].get_legend().get_title().get_text()
    assert "(95% intervals)" in fig.axes[0].get_title()


def test_bandwidth_bands(tmp_path):
    run, ks = _paired(tmp_path)
    fig = figures.plot_bandwidth(run, ks)
    with_data = [k for k in ks.keys if ks.interval("bandwidth", k)]
    assert series.BASELINE in with_data
    assert len(_bands(fig)) == len(with_data) == 1 + len(PAIRED_MV) + len(PAIRED_MV_E2E)
    assert list(_lines(fig)["numba"].get_ydata()) == [
        ks.bandwidths[("numba", "resident")][n] for n in MV_N
    ]


def test_unpaired_figures_have_no_bands(asv_results):
    run = newest_run(asv_results)
    ks = collect(run, "matvec")
    for func in (figures.plot_speedup, figures.plot_bandwidth):
        fig = func(run, ks)
        assert not _bands(fig) and not _hollow(fig)
        assert (
            fig.axes[0].get_legend().get_title().get_text() == "solid: resident\ndashed: end-to-end"
        )


def _marks(fig):
    """{gid: (x values, y values, face colour)} of the fastest figure's markers."""
    return {
        ln.get_gid(): (list(ln.get_xdata()), list(ln.get_ydata()), ln.get_markerfacecolor())
        for ln in fig.axes[0].get_lines()
        if ln.get_gid()
    }


def test_fastest_figure_marks_winners_and_ties(tmp_path):
    run, ks = _paired(tmp_path)
    fig = figures.plot_fastest(run, ks)
    ax = fig.axes[0]
    assert figures.FASTEST_TITLE == "fastest backend at each N (95% intervals)"
    assert figures.FASTEST_TITLE in ax.get_title()
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == list(PAIRED_MV)  # one row per backend, in registry order
    palette = figures.colors([(b, "resident") for b in rows])
    expected = {}
    for n, winner, tied in PAIRED_MV_FASTEST:
        expected.setdefault(f"fastest {winner}", []).append(n)
        for b in tied:
            expected.setdefault(f"tied {b}", []).append(n)
    marks = _marks(fig)
    assert {gid: xs for gid, (xs, _, _) in marks.items()} == expected
    for gid, (xs, ys, face) in marks.items():
        kind, backend = gid.split(" ", 1)
        assert ys == [rows.index(backend)] * len(xs)
        assert face == ("none" if kind == "tied" else palette[backend])
    assert ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2
    assert [t.get_text() for t in ax.texts] == ["2.00x", "2.50x", "4.00x"]  # the winners'


def test_save_figures_writes_fastest_of_paired_runs_only(tmp_path, asv_results):
    run = newest_run(write_results(tmp_path / "p", paired=True))
    written = figures.save_figures(analyse(run), str(tmp_path), ["png"], io.StringIO())
    names = [os.path.basename(p) for p in written]
    assert names[3] == "matvec-fastest.png" and names[-1] == "sum-fastest.png"
    check_png(tmp_path / "sum-fastest.png")
    (tmp_path / "u").mkdir()
    written = figures.save_figures(
        analyse(newest_run(asv_results)), str(tmp_path / "u"), ["png"], io.StringIO()
    )
    assert not [p for p in written if "fastest" in p]
