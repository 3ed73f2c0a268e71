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

from .results import format_date
from .series import BASELINE
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


def _finish(ax, ns, has_dashed):
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
        title = "solid: resident\ndashed: end-to-end" if has_dashed else None
        ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            title=title,
            title_fontsize=7,
            frameon=False,
        )


def _draw(run, ks, cap, what, values, with_serial=True):
    """A figure with one line per series of ``ks``: ``values`` {key: {N: y}}, NaN where a
    key has no y at an N, so matplotlib leaves a gap (never a zero).  Returns (fig, ax, keys)."""
    fig, ax = _new_figure(cap if cap is not None else caption(run))
    keys = [k for k in ks.keys if with_serial or k[1] != "serial"]
    palette = colors(keys)
    for key in keys:
        ys = [values[key].get(n, float("nan")) for n in ks.ns]
        label = _legend_label(key)
        if all(math.isnan(y) for y in ys):
            label += " - no data"
        ax.plot(ks.ns, ys, label=label, **_style(key, palette))
    ax.set_title(
        f"{TITLES[ks.kernel]}: {what}\n{run.machine} @ {run.commit[:8]}, {format_date(run.date)}",
        fontsize=10,
    )
    ax.set_xscale("log")
    return fig, ax, keys


def _has_dashed(keys):
    return any(k[1] == "end-to-end" for k in keys)


def plot_time(run, ks, cap=None):
    """Seconds per call vs N (log-log) of a KernelSeries; ``cap``: caption text (default
    ``tables.caption(run)``).  Returns the matplotlib Figure."""
    fig, ax, keys = _draw(run, ks, cap, "time per call", ks.times)
    ax.set_yscale("log")
    ax.set_ylabel("time per call [s]")
    _finish(ax, ks.ns, _has_dashed(keys))
    return fig


def plot_speedup(run, ks, cap=None):
    """Serial numpy time / backend time vs N, lines at 1 and at the run's workers (ideal).

    Returns the matplotlib Figure; it says so when the run has no serial baseline.
    """
    fig, ax, keys = _draw(run, ks, cap, "speedup over serial numpy", ks.speedups, with_serial=False)
    top = max([1.0] + [s for key in keys for s in ks.speedups[key].values()])
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
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel("speedup vs serial numpy (workers=1)")
    if BASELINE not in ks.raw:
        ax.text(
            0.5, 0.5, "no serial numpy baseline in this run", transform=ax.transAxes, ha="center"
        )
    _finish(ax, ks.ns, _has_dashed(keys))
    return fig


def plot_bandwidth(run, ks, cap=None):
    """GB/s vs N (log-log) of a KernelSeries, with the run's memory roofs as lines.

    Returns the matplotlib Figure.
    """
    fig, ax, keys = _draw(run, ks, cap, "memory bandwidth", ks.bandwidths)
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
    _finish(ax, ks.ns, _has_dashed(keys))
    return fig


PLOTS = (("time", plot_time), ("speedup", plot_speedup), ("bandwidth", plot_bandwidth))


def save_figures(report, mdir, formats, out):
    """Write ``<kernel>-{time,speedup,bandwidth}.<fmt>`` of every plotted kernel of a
    ``series.Report`` into the existing folder ``mdir``, printing each path to ``out``.

    ``formats``: matplotlib format names ("png", "svg", "pdf").  Returns the paths;
    OSError when a file cannot be written.
    """
    cap = caption(report.run)
    written = []
    for ks in report.plotted():
        for what, func in PLOTS:
            fig = func(report.run, ks, cap)
            for fmt in formats:
                path = os.path.join(mdir, f"{ks.kernel}-{what}.{fmt}")
                fig.savefig(path, format=fmt)
                written.append(path)
                print(path, file=out)
    return written
