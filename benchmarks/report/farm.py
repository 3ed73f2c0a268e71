"""The task farm in the report: its figures, its summary table and its section of the page.

Reads a run's ``Farm.track_makespan`` / ``Farm.track_efficiency`` (scheduler,
distribution, T), ``FarmOverhead.track_per_task`` (scheduler) and, through
``FarmRun.track_id``, the run's timelines beside the results
(``<results_dir>/farm/<id>.json.gz``, written by ``benchmarks/taskfarm.py``).

* ``farm_figures.save_figures``: ``farm-makespan.<fmt>`` and ``farm-efficiency.<fmt>`` (one
  panel per distribution, one line per scheduler against T: static solid, dynamic
  dashed; the makespan panel also draws the floor of a perfect farm, max(total
  work / W, longest task)), and ``farm-timeline-<distribution>.<fmt>`` (one panel
  per scheduler, worker on y, time on x, one bar per task, as seed 004 draws
  DirectView against LoadBalancedView);
* ``markdown``: the "Task farm" part of summary.md: the empty-task overhead of
  each scheduler and the heavy-tailed makespans;
* ``sections``: the same table on report.html (the figures join the page's
  figures by themselves).

A run without farm benchmarks gives no figure, no text and no section.
matplotlib is imported inside the drawing functions only.
"""

import gzip
import json
import os
from dataclasses import dataclass, field

from .results import is_number

#: static schedulers first, as in farm.registry (kept here: the report imports no farm code)
KIND_ORDER = ("static", "dynamic")
HEAVY = "heavy-tailed"


@dataclass
class FarmRun:
    """A run's farm figures: makespan and efficiency {(scheduler, distribution, T): value},
    overhead {scheduler: seconds per task}, and the timelines file's content (or {})."""

    makespan: dict
    efficiency: dict
    overhead: dict
    extra: dict = field(default_factory=dict)

    @property
    def schedulers(self):
        names = [k[0] for k in self.makespan] + list(self.overhead)
        return list(dict.fromkeys(names))

    def kind(self, name):
        settings = self.extra.get("settings", {}).get(name, {})
        return settings.get("kind", "?")

    def values(self, what, name, distribution):
        """[(T, value)] of one line, sorted by T."""
        table = self.makespan if what == "makespan" else self.efficiency
        return sorted((k[2], v) for k, v in table.items() if k[:2] == (name, distribution))


def _numbers(run, cls, method, keys):
    out = {}
    for params, value in run.entries(cls, method, keys):
        if is_number(value):
            k = tuple(params.get(p) for p in keys)
            out[k if len(k) > 1 else k[0]] = float(value)
    return out


def _timelines(run):
    """The content of this run's timelines file, or {} when there is none."""
    ids = [v for _p, v in run.entries("FarmRun", "track_id") if is_number(v)]
    if not ids:
        return {}
    results_dir = os.path.dirname(os.path.dirname(os.path.abspath(run.path)))
    path = os.path.join(results_dir, "farm", f"{int(ids[0])}.json.gz")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def read(run):
    """The FarmRun of a ``results.Run``, or None when it has no farm results."""
    keys = ("scheduler", "distribution", "T")
    makespan = _numbers(run, "Farm", "track_makespan", keys)
    overhead = _numbers(run, "FarmOverhead", "track_per_task", ("scheduler",))
    if not makespan and not overhead:
        return None
    efficiency = _numbers(run, "Farm", "track_efficiency", keys)
    return FarmRun(makespan, efficiency, overhead, _timelines(run))


# ------------------------------------------------------------------ text


def table(farm):
    """(header, rows of str) of the summary table: one row per scheduler."""
    counts = sorted({k[2] for k in farm.makespan})
    header = ("scheduler", "kind", "empty-task overhead (us/task)", "task time / asked")
    header += tuple(f"heavy-tailed T={n}: makespan ms (efficiency)" for n in counts)
    calibration = farm.extra.get("calibration", {})
    rows = []
    for name in farm.schedulers:
        row = [name, farm.kind(name)]
        oh = farm.overhead.get(name)
        row.append(f"{oh * 1e6:.0f}" if oh is not None else "-")
        cal = calibration.get(name)
        row.append(f"{cal:.2f}" if is_number(cal) else "-")
        for n in counts:
            span = farm.makespan.get((name, HEAVY, n))
            eff = farm.efficiency.get((name, HEAVY, n))
            row.append(f"{span * 1e3:.1f} ({eff:.2f})" if span is not None and eff else "-")
        rows.append(tuple(row))
    return header, rows


def verdict(farm):
    """One sentence: the best static and best dynamic heavy-tailed makespan at the largest T."""
    counts = sorted({k[2] for k in farm.makespan})
    if not counts:
        return ""
    n, best = counts[-1], {}
    for name in farm.schedulers:
        span = farm.makespan.get((name, HEAVY, n))
        kind = farm.kind(name)
        if span is not None and (kind not in best or span < best[kind][1]):
            best[kind] = (name, span)
    if not all(k in best for k in KIND_ORDER):
        return ""
    (s_name, s_span), (d_name, d_span) = best["static"], best["dynamic"]
    faster = "beats" if d_span < s_span else "does not beat"
    return (
        f"Heavy-tailed costs at T={n}: the best dynamic scheduler ({d_name},"
        f" {d_span * 1e3:.1f} ms) {faster} the best static one ({s_name}, {s_span * 1e3:.1f} ms)."
    )


def _repeats(farm):
    done = farm.extra.get("repeats") or {}
    return ", ".join(f"{name} {count}" for name, count in done.items()) or "not recorded"


def _plan_line(farm):
    plan = farm.extra.get("plan")
    if not plan:
        return "No timelines file beside the results: the timelines and task costs are not shown."
    return (
        f"Each farm repeated up to {plan['repeats']} times (the median makespan kept;"
        f" fewer where the repeats would pass {plan.get('budget_s', '?')} s:"
        f" {_repeats(farm)}); tasks of"
        f" {plan['mean_s'] * 1e3:g} ms mean CPU work (seeded),"
        f" workers {plan.get('workers') or 'all cores'};"
        f" overhead = W x makespan / T of {plan['empty_T']} empty tasks."
    )


def markdown(run):
    """The "Task farm" part of summary.md (markdown text), or "" for a run without the farm."""
    farm = read(run)
    if farm is None:
        return ""
    header, rows = table(farm)
    md = ["", "## Task farm", "", _plan_line(farm), ""]
    md += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    if verdict(farm):
        md += ["", verdict(farm)]
    return "\n".join(md) + "\n"


def sections(report, figure_paths):
    """The page's "Task farm" section (a ``page.Section``), or []."""
    from .page import Section, Table

    farm = read(report.run)
    if farm is None:
        return []
    header, rows = table(farm)
    paragraphs = [p for p in (_plan_line(farm), verdict(farm)) if p]
    return [Section("Task farm", "farm", paragraphs, [], [Table(header, rows, numbers_from=2)])]
