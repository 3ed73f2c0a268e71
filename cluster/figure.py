"""Ping-pong figures in OMB-Py's convention: latency and bandwidth against message size.

OMB (and OMB-Py, its Python port) plot the message size in bytes on a log2 axis,
latency in microseconds (one-way: half the round trip) and bandwidth in MB/s
(1e6 bytes/s), both on log axes.  One panel each; one line per setting (where
the ranks ran, UCX transport) and Python transport (solid: numpy buffer,
dashed: pickled object).  matplotlib is imported inside the function only.
"""

from pathlib import Path

#: line colour per setting, in the order settings are given
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
_STYLES = {"buffer": "-", "pickle": "--"}


def size_label(nbytes):
    """8 -> '8 B', 4096 -> '4 KiB', 2**26 -> '64 MiB' (whole units)."""
    for unit, div in (("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= div:
            return f"{nbytes // div} {unit}"
    return f"{nbytes} B"


def pingpong_figure(series, out_stem, title):
    """Write ``out_stem``.png and .svg; return their paths.

    ``series``: [(setting label, rows of ``kernels.mpi.pingpong.Driver.series``)].
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    lat, bw = fig.subplots(1, 2)
    ticks = set()
    for colour, (label, rows) in zip(_COLOURS, series):
        for transport, style in _STYLES.items():
            mine = sorted(
                (r for r in rows if r["transport"] == transport), key=lambda r: r["bytes"]
            )
            if not mine:
                continue
            sizes = [r["bytes"] for r in mine]
            ticks.update(sizes)
            name = f"{label}, {transport}"
            lat.plot(sizes, [r["one_way_s"] * 1e6 for r in mine], style, color=colour, label=name)
            bw.plot(sizes, [r["bandwidth_GBps"] * 1e3 for r in mine], style, color=colour)
    shown = sorted(ticks)[:: max(1, len(ticks) // 8)]
    for ax, ylabel in ((lat, "latency (us, one way)"), (bw, "bandwidth (MB/s)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(shown, [size_label(s) for s in shown], rotation=30)
        ax.set_xlabel("message size")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    lat.set_title("ping-pong latency")
    bw.set_title("ping-pong bandwidth (size / one-way time)")
    fig.legend(loc="outside lower center", ncol=3, fontsize=8)
    fig.suptitle(title, fontsize=10)
    paths = [Path(f"{out_stem}.png"), Path(f"{out_stem}.svg")]
    for p in paths:
        fig.savefig(p, dpi=120, metadata={"Date": None} if p.suffix == ".svg" else None)
    return paths
