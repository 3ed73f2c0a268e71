"""The task farm's figures (matplotlib, imported inside the functions): see ``report.farm``.

* ``farm-makespan`` / ``farm-efficiency``: one panel per cost distribution, one
  line per scheduler against T (log 2 axis); static schedulers solid, dynamic
  dashed; the makespan panels draw the floor of a perfect farm in black,
  max(total work / W, longest task), where the timelines file gives the costs.
* ``farm-timeline-<distribution>``: one panel per scheduler, worker on y, time on
  x (ms since the driver dispatched the farm), one bar per task, the longest 5%
  of tasks darker; the panels share the x axis, so the longest makespan is the
  widest, and a dashed line marks each panel's makespan.
"""

import os

import numpy as np

from .farm import HEAVY, read
from .figures import PALETTE

DISTRIBUTIONS = ("equal", "uniform", HEAVY)
#: timeline bar colours by kind: (a task, one of the longest 5%)
KIND_COLORS = {"static": ("#2ca02c", "#0b3d0b"), "dynamic": ("#1f77b4", "#0b2a4d")}


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _ideal(farm, distribution):
    """[(T, seconds)] of a perfect farm, max(total work / W, longest task), as measured with
    the run (``farms`` of its timelines file); [] without it."""
    farms = farm.extra.get("farms") or {}
    out = []
    for k, v in farms.items():
        name, dist, count = k.split("|")
        if dist == distribution and "floor" in v and name == farm.schedulers[0]:
            out.append((int(count), v["floor"]))
    return sorted(out)


def plot_lines(farm, what):
    """The makespan or efficiency figure of a ``report.farm.FarmRun``."""
    fig = _figure(13, 4.4)
    axes = fig.subplots(1, len(DISTRIBUTIONS), sharey=(what == "efficiency"))
    for ax, dist in zip(axes, DISTRIBUTIONS):
        for i, name in enumerate(farm.schedulers):
            pts = farm.values(what, name, dist)
            if not pts:
                continue
            xs, ys = zip(*pts)
            scale = 1e3 if what == "makespan" else 1.0
            style = "-" if farm.kind(name) == "static" else "--"
            ax.plot(
                xs,
                [y * scale for y in ys],
                style,
                marker="o",
                ms=4,
                color=PALETTE[i % len(PALETTE)],
                label=f"{name} ({farm.kind(name)})",
            )
        if what == "makespan":
            ideal = _ideal(farm, dist)
            if ideal:
                xs, ys = zip(*ideal)
                ax.plot(xs, [y * 1e3 for y in ys], "-", color="black", lw=1, label="perfect farm")
            ax.set_yscale("log")
            ax.set_ylabel("makespan (ms)")
        else:
            ax.set_ylim(0, 1.05)
            ax.set_ylabel("efficiency: task time / (W x makespan)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("tasks T")
        ax.set_title(f"{dist} costs")
        ax.grid(True, which="both", alpha=0.3)
    axes[-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_timeline(farm, distribution):
    """The timeline figure of one distribution, or None without timelines."""
    per = {
        n: t[distribution]
        for n, t in (farm.extra.get("timelines") or {}).items()
        if distribution in t
    }
    if not per:
        return None
    names = [n for n in farm.schedulers if n in per] or list(per)
    fig = _figure(12, 1.25 * len(names) + 1.0)
    axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
    # one time axis for the schedulers that matter; one more than twice the median
    # makespan (a slow scheduler) gets its own, or it would squeeze the others
    makespans = {n: per[n]["makespan"] * 1e3 for n in names}
    limit = 2 * float(np.median(list(makespans.values())))
    common = 1.05 * max(m for m in makespans.values() if m <= limit)
    for ax, name in zip(axes, names):
        own = makespans[name] > limit
        ax.set_xlim(0, 1.05 * makespans[name] if own else common)
        t = per[name]
        start, end = np.asarray(t["start"]) * 1e3, np.asarray(t["end"]) * 1e3
        worker, cost = np.asarray(t["worker"]), np.asarray(t["cost"])
        big = cost >= np.quantile(cost, 0.95) if len(cost) else cost
        color, dark = KIND_COLORS.get(t["kind"], ("0.5", "0.2"))
        for w in range(len(t["worker_pids"])):
            mine = worker == w
            bars = list(zip(start[mine], end[mine] - start[mine]))
            colors = [dark if b else color for b in big[mine]]
            ax.broken_barh(bars, (w - 0.4, 0.8), facecolors=colors, edgecolor="white", lw=0.3)
        ax.axvline(t["makespan"] * 1e3, color="0.3", ls="--", lw=0.8)
        ax.set_yticks(range(len(t["worker_pids"])))
        ax.set_ylabel("worker", fontsize=8)
        ax.set_title(
            f"{name} ({t['kind']}): makespan {t['makespan'] * 1e3:.1f} ms"
            + (" - its own time axis" if own else ""),
            fontsize=9,
            loc="left",
        )
    count = len(per[names[0]]["start"])
    axes[-1].set_xlabel(
        f"ms since dispatch ({distribution} costs, T={count};"
        " dark: the longest 5% of tasks; dashed: makespan; one axis for all but a scheduler"
        " slower than twice the median)"
    )
    fig.tight_layout()
    return fig


def save_figures(run, mdir, formats, out):
    """Write the farm figures of a ``results.Run`` into ``mdir``; return the paths ([] if none)."""
    farm = read(run)
    if farm is None:
        return []
    figs = [(f"farm-{w}", plot_lines(farm, w)) for w in ("makespan", "efficiency")]
    for dist in DISTRIBUTIONS:
        fig = plot_timeline(farm, dist)
        if fig is not None:
            figs.append((f"farm-timeline-{dist}", fig))
    written = []
    for stem, fig in figs:
        for fmt in formats:
            path = os.path.join(mdir, f"{stem}.{fmt}")
            fig.savefig(path, format=fmt)
            written.append(path)
            print(path, file=out)
    return written
