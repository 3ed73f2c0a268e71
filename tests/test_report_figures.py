"""benchmarks.report.figures: what the time, speedup and bandwidth figures draw."""

import math

from benchmarks.report import figures
from benchmarks.report.series import collect
from kernels.facts import BACKENDS

from .report_data import MV_N, ROOF_READ, ROOF_TRIAD, newest_run


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
