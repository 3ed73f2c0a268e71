"""The ping-pong benchmarks of a run (benchmarks/pingpong.py) in the report: a table and a figure.

``markdown(run)``: a summary.md section, pickle against buffer per message size
(one-way time in us from ``PingPongLatency``, bandwidth in GB/s from
``PingPongBandwidth``, and their ratio); "" when the run has no ping-pong
numbers.  ``save(run, mdir, formats)``: the figure ``pingpong.<fmt>`` in
OMB-Py's convention (``cluster.figure``'s layout: latency and bandwidth
against message size, log axes), the paths written ([] without numbers).
Both benchmarks run on one host (a spawned rank); the multi-host figures are
``python -m cluster.multihost``'s.
"""

import os

from .results import is_number

LATENCY = ("PingPongLatency", "track_one_way_time")
BANDWIDTH = ("PingPongBandwidth", "track_bandwidth")
PARAM_NAMES = ("transport", "bytes")  # benchmarks/pingpong.py's param_names


def _values(run, bench):
    """{(transport, bytes): value} of the finite numbers of ``bench`` in ``run``."""
    return {
        (p.get("transport"), int(p.get("bytes"))): float(v)
        for p, v in run.entries(*bench, PARAM_NAMES)
        if is_number(v) and p.get("bytes") is not None
    }


def _size(n):
    for unit, div in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= div:
            return f"{n // div} {unit}"
    return f"{n} B"


def markdown(run):
    """summary.md's ping-pong section (str, ends with a newline), or ""."""
    lat, bw = _values(run, LATENCY), _values(run, BANDWIDTH)
    if not lat and not bw:
        return ""
    lines = ["", "## MPI ping-pong on one host (pickle vs numpy buffer)", ""]
    lines.append("| size | pickle | buffer | pickle / buffer (time) |")
    lines.append("|---:|---:|---:|---:|")
    for n in sorted({n for _, n in lat}):
        p, b = lat.get(("pickle", n)), lat.get(("buffer", n))
        ratio = f"{p / b:.1f}" if p and b else "-"
        cells = [f"{v * 1e6:.2f} us" if v else "-" for v in (p, b)]
        lines.append(f"| {_size(n)} | {cells[0]} | {cells[1]} | {ratio} |")
    for n in sorted({n for _, n in bw}):
        p, b = bw.get(("pickle", n)), bw.get(("buffer", n))
        ratio = f"{b / p:.1f}" if p and b else "-"
        cells = [f"{v:.3f} GB/s" if v else "-" for v in (p, b)]
        lines.append(f"| {_size(n)} | {cells[0]} | {cells[1]} | {ratio} |")
    lines.append("")
    return "\n".join(lines) + "\n"


def save(run, mdir, formats):
    """Write ``mdir``/pingpong.<fmt> for each of ``formats``; return the paths ([] if no data)."""
    lat, bw = _values(run, LATENCY), _values(run, BANDWIDTH)
    if not lat and not bw:
        return []
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    panels = ((lat, 1e6, "latency (us, one way)"), (bw, 1e3, "bandwidth (MB/s)"))
    for ax, (values, scale, ylabel) in zip(axes, panels):
        for transport, style in (("buffer", "o-"), ("pickle", "s--")):
            pts = sorted((n, v) for (t, n), v in values.items() if t == transport)
            if pts:
                ax.plot([n for n, _ in pts], [v * scale for _, v in pts], style, label=transport)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("message size (bytes)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(f"MPI ping-pong, 2 ranks on one host ({run.machine}, {run.commit[:8]})")
    paths = []
    for fmt in formats:
        path = os.path.join(mdir, f"pingpong.{fmt}")
        fig.savefig(path, dpi=120)
        paths.append(path)
    return paths
