"""The three figures of a kernel: time, speedup and bandwidth against N (matplotlib).

Each figure draws the series of a ``series.KernelSeries`` as they were computed
there: resident solid, end-to-end dashed, the serial numpy baseline black.  A
backend's colour is its index in ``kernels.facts.BACKENDS`` in the palette, so a
backend looks the same in every figure; a label the registry does not have gets
the next colours after those.  matplotlib is imported inside the functions only:
asv imports every module under ``benchmarks/`` where it is not installed.
"""

import math
import os

from kernels.facts import BACKENDS, TITLES

from . import records
from .results import format_date
from .series import BASELINE, ordered
from .tables import bytes_formula, caption

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
_ROOF_STYLES = {"read": "-", "triad": "-."}
BAND_ALPHA = 0.2
HOLLOW_NOTE = "hollow: interval contains 1"
FASTEST_TITLE = "fastest backend at each N (95% intervals)"


def colors(keys):
    """{label: colour} for the non-serial labels of ``keys`` ((label, mode) pairs)."""
    labels = []
    for label, mode in keys:
        if mode != "serial" and label not in labels:
            labels.append(label)
    other = [lb for lb in labels if lb not in BACKENDS]
    out = {lb: PALETTE[BACKENDS.index(lb) % len(PALETTE)] for lb in labels if lb in BACKENDS}
    for i, lb in enumerate(other):
        out[lb] = PALETTE[(len(BACKENDS) + i) % len(PALETTE)]
    return out


def _new_figure(caption_text):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_lines = caption_text.count("\n") + 1
    fig = Figure(figsize=(10, 5.8 + 0.13 * n_lines), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    fig.text(0.01, 0.01, caption_text, fontsize=7, va="bottom", ha="left", color="0.25")
    # inches -> figure fraction: the caption, then room for (rotated) N labels and "N"
    bottom = (0.12 + 0.13 * n_lines + 1.0) / fig.get_figheight()
    fig.subplots_adjust(left=0.08, right=0.76, top=0.9, bottom=bottom)
    return fig, ax


def _style(key, palette):
    label, mode = key
    if mode == "serial":
        return {
            "color": "black",
            "linestyle": "-",
            "linewidth": 2.2,
            "marker": "s",
            "markersize": 4,
        }
    return {
        "color": palette[label],
        "linestyle": "-" if mode == "resident" else "--",
        "linewidth": 1.6,
        "marker": "o" if mode == "resident" else "^",
        "markersize": 4,
    }


def _legend_label(key):
    label, mode = key
    if mode == "serial":
        return f"{label} serial (baseline)"
    return f"{label}" if mode == "resident" else f"{label} (end-to-end)"


def _finish(ax, ns, has_dashed, note=None):
    """Axis labels, the N ticks and the legend; ``note``: a last line of the legend's title."""
    ax.set_xlabel("N")
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.1)
    if ns:
        from matplotlib.ticker import NullLocator

        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(ns)
        ax.set_xticklabels([str(n) for n in ns], rotation=45 if len(ns) > 6 else 0, fontsize=8)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        title = "\n".join(
            t for t in ("solid: resident\ndashed: end-to-end" if has_dashed else "", note) if t
        )
        ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            title=title or None,
            title_fontsize=7,
            frameon=False,
        )


def _title(ax, run, kernel, what):
    ax.set_title(
        f"{TITLES[kernel]}: {what}\n{run.machine} @ {run.commit[:8]}, {format_date(run.date)}",
        fontsize=10,
    )


def _draw(run, ks, cap, what, values, with_serial=True):
    """A figure with one line per series of ``ks``: ``values`` {key: {N: y}}, NaN where a
    key has no y at an N, so matplotlib leaves a gap (never a zero).  Returns (fig, ax,
    lines): lines {key: its Line2D}, in ``ks.keys`` order."""
    fig, ax = _new_figure(cap if cap is not None else caption(run))
    keys = [k for k in ks.keys if with_serial or k[1] != "serial"]
    palette = colors(keys)
    lines = {}
    for key in keys:
        ys = [values[key].get(n, float("nan")) for n in ks.ns]
        label = _legend_label(key)
        if all(math.isnan(y) for y in ys):
            label += " - no data"
        (lines[key],) = ax.plot(ks.ns, ys, label=label, **_style(key, palette))
    _title(ax, run, ks.kernel, what)
    ax.set_xscale("log")
    return fig, ax, lines


def _bands(ax, ks, quantity, lines):
    """A band (fill_between, the line's colour) of each line's 95% interval of ``quantity``;
    NaN where a key has none at an N (a gap).  Returns the highest bound drawn (0 if none)."""
    top = 0.0
    for key, line in lines.items():
        intervals = ks.interval(quantity, key)
        if not intervals:
            continue
        nan = records.Interval(math.nan, math.nan, math.nan)
        at = [intervals.get(n, nan) for n in ks.ns]
        ax.fill_between(
            ks.ns,
            [iv.low for iv in at],
            [iv.high for iv in at],
            color=line.get_color(),
            alpha=BAND_ALPHA,
            linewidth=0,
            label="_band",
        )
        top = max([top] + [iv.high for iv in intervals.values()])
    return top


def _hollow_where_no_difference(ax, ks, lines):
    """Each point whose speedup interval contains 1 drawn as a hollow marker, not a filled one."""
    for key, line in lines.items():
        intervals = ks.interval("speedup", key)
        hollow = [n for n in ks.ns if n in intervals and records.no_difference(intervals[n])]
        if not hollow:
            continue
        line.set_markevery([i for i, n in enumerate(ks.ns) if n not in hollow])
        ax.plot(
            hollow,
            [intervals[n].estimate for n in hollow],
            linestyle="none",
            marker=line.get_marker(),
            markersize=6,
            color=line.get_color(),
            markerfacecolor="none",
            markeredgewidth=1.4,
            label="_no difference",
        )


def _has_dashed(keys):
    return any(k[1] == "end-to-end" for k in keys)


def plot_time(run, ks, cap=None):
    """Seconds per call vs N (log-log) of a KernelSeries, with each line's 95% band where
    the run is paired; ``cap``: caption text (default ``tables.caption(run)``).  Returns
    the matplotlib Figure."""
    what = "time per call" + (" (95% intervals)" if ks.paired else "")
    fig, ax, lines = _draw(run, ks, cap, what, ks.times)
    if ks.paired:  # the paired measurement's times, each with its interval
        _bands(ax, ks, "time", lines)
    ax.set_yscale("log")
    ax.set_ylabel("time per call [s]")
    _finish(ax, ks.ns, _has_dashed(lines))
    return fig


def plot_speedup(run, ks, cap=None):
    """Serial numpy time / backend time vs N, lines at 1 and at the run's workers (ideal).

    Of a paired KernelSeries each line has its 95% interval as a band, and a point
    whose interval contains 1 is a hollow marker ("no difference").  Returns the
    matplotlib Figure; it says so when the run has no serial baseline.
    """
    what = "speedup over serial numpy" + (" (95% intervals)" if ks.paired else "")
    fig, ax, lines = _draw(run, ks, cap, what, ks.speedups, with_serial=False)
    top = max([1.0] + [s for key in lines for s in ks.speedups[key].values()])
    if ks.paired:  # a very wide band (few processes) runs off the top, not the axis to 1e15
        top = max(top, min(_bands(ax, ks, "speedup", lines), 1.5 * top))
        _hollow_where_no_difference(ax, ks, lines)
    ax.axhline(1.0, color="black", linewidth=1.2, label="1 = serial numpy")
    if run.workers:
        ax.axhline(
            run.workers,
            color="0.4",
            linewidth=1.0,
            linestyle=":",
            label=f"{run.workers} = workers (ideal)",
        )
        top = max(top, run.workers)
    # a log axis: 0.1x and 10x are as far from 1 as each other, and points far below 1
    # (a remote backend's floor) no longer squash the rest into a line
    # (a very wide band runs off the bottom, as off the top, not the axis to 1e-15)
    lowest = min([1.0] + [s for key in lines for s in ks.speedups[key].values() if s > 0])
    bands = [iv.low for key in lines for iv in ks.interval("speedup", key).values() if iv.low > 0]
    bottom = max(min(bands + [lowest]), lowest / 1.5) if ks.paired else lowest
    ax.set_yscale("log")
    ax.set_ylim(bottom / 1.25, top * 1.25)
    ax.set_ylabel("speedup vs serial numpy (workers=1, log scale)")
    if BASELINE not in ks.raw:
        ax.text(
            0.5, 0.5, "no serial numpy baseline in this run", transform=ax.transAxes, ha="center"
        )
    _finish(ax, ks.ns, _has_dashed(lines), HOLLOW_NOTE if ks.paired else None)
    return fig


def plot_bandwidth(run, ks, cap=None):
    """GB/s vs N (log-log) of a KernelSeries, with the run's memory roofs as lines.

    Of a paired KernelSeries (bytes moved / paired time) each line has its 95%
    interval as a band.  Returns the matplotlib Figure.
    """
    what = "memory bandwidth" + (" (95% intervals)" if ks.paired else "")
    fig, ax, lines = _draw(run, ks, cap, what, ks.bandwidths)
    if ks.paired:
        _bands(ax, ks, "bandwidth", lines)
    for name, gbs in run.roofs.items():
        ax.axhline(
            gbs,
            color="0.45",
            linewidth=1.4,
            linestyle=_ROOF_STYLES.get(name, ":"),
            label=f"roof: {name} {gbs:.1f} GB/s",
        )
    ax.set_yscale("log")
    moved = bytes_formula(ks.kernel, run.itemsize)
    ax.set_ylabel(f"bandwidth [GB/s]  ({moved} bytes / time)")
    _finish(ax, ks.ns, _has_dashed(lines))
    return fig


def _marker(ax, xs, ys, color, face, **kw):
    """Markers only (no line) at (xs, ys): ``face`` "none" for a hollow one."""
    style = dict(linestyle="none", marker="o", markersize=11, markeredgewidth=1.8)
    style.update(kw)
    return ax.plot(xs, ys, markerfacecolor=face, markeredgecolor=color, **style)


def _fastest_marks(ax, resident, row, palette):
    """The winners (filled, their speedup written above) and the tied (hollow) of each N."""
    marks = {}
    for n, winner, tied, iv, wide in records.fastest(resident):
        marks.setdefault(("fastest", winner), []).append(n)
        for b in tied:
            marks.setdefault(("tied" if b not in wide else "tied-wide", b), []).append(n)
        ax.annotate(
            f"{iv.estimate:.2f}x",
            (n, row[winner]),
            xytext=(0, -17),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    for (kind, b), ns in marks.items():
        face = palette[b] if kind == "fastest" else "none"
        # a tie that rests on an interval wider than 2x: a small hollow marker
        size = {"markersize": 6} if kind == "tied-wide" else {}
        _marker(ax, ns, [row[b]] * len(ns), palette[b], face, gid=f"{kind} {b}", **size)


def plot_fastest(run, ks, cap=None):
    """The fastest backend at each N (resident) of a paired KernelSeries, as a strip chart.

    One row per backend with a resident speedup, x = N (log2): a filled marker where
    the backend has the highest speedup estimate (its speedup written under it), a
    hollow one where its 95% interval overlaps the winner's (tied), nothing where it
    is slower (``records.fastest``), a small hollow one where the tie rests on an
    interval wider than a factor of 2.  Winners' markers have gid "fastest <backend>",
    tied ones "tied <backend>" ("tied-wide <backend>").  Returns the matplotlib Figure.
    """
    fig, ax = _new_figure(cap if cap is not None else caption(run))
    fig.subplots_adjust(left=0.15)  # room for the backend names
    resident = {b: v for (b, m), v in ks.intervals.get("speedup", {}).items() if m == "resident"}
    backends = [b for b, _ in ordered((b, "resident") for b in resident)]
    row = {b: i for i, b in enumerate(backends)}
    _fastest_marks(ax, resident, row, colors([(b, "resident") for b in backends]))
    for label, face, size in (
        ("fastest (highest estimate)", "0.3", 9),
        ("tied (interval overlaps)", "none", 9),
        ("tied through an interval wider than 2x", "none", 6),
    ):
        _marker(ax, [], [], "0.3", face, markersize=size, label=label)
    ax.set_yticks(range(len(backends)), backends)
    ax.set_ylim(len(backends) - 0.4, -0.6)  # the registry's first backend on top
    ax.set_xscale("log", base=2)
    _title(ax, run, ks.kernel, FASTEST_TITLE)
    ax.set_ylabel("backend (resident)")
    _finish(ax, ks.ns, False, "no marker: slower than the fastest\n(intervals apart)")
    return fig


PLOTS = (("time", plot_time), ("speedup", plot_speedup), ("bandwidth", plot_bandwidth))
#: the figures of a paired KernelSeries only
PAIRED_PLOTS = (("fastest", plot_fastest),)


def save_figures(report, mdir, formats, out):
    """Write ``<kernel>-{time,speedup,bandwidth}.<fmt>`` of every plotted kernel of a
    ``series.Report`` into the existing folder ``mdir``, printing each path to ``out``;
    of a kernel with paired speedups also ``<kernel>-fastest.<fmt>``.

    ``formats``: matplotlib format names ("png", "svg", "pdf").  Returns the paths;
    OSError when a file cannot be written.
    """
    cap = caption(report.run)
    written = []
    for ks in report.plotted():
        resident = [m for _, m in ks.intervals.get("speedup", {}) if m == "resident"]
        paired = PAIRED_PLOTS if resident else ()
        for what, func in PLOTS + paired:
            fig = func(report.run, ks, cap)
            for fmt in formats:
                path = os.path.join(mdir, f"{ks.kernel}-{what}.{fmt}")
                fig.savefig(path, format=fmt)
                written.append(path)
                print(path, file=out)
    return written
