"""Which paired figures fell short of their precision target, and which ties stayed open.

The paired measurement stops adding processes to a figure once its 95%
interval's half-width is within the target (``measuring.stopping``), and writes
each figure's status into the run's ``figures.json``
(``results/paired/<machine>/<commit8>-<env>-<plan>/``, ``measuring.process_records``).
``short(run)`` reads them: the figures whose target was not met, with why (the
process cap or the phase's budget), their processes, rounds and seconds; the
resident speedups whose backend was still tied with the fastest at its N; and
the figures measured mostly under interference (more than ``MOSTLY`` of their
case's rounds marked: ``measuring.interference``).  A run measured before the
statuses were written gives nothing.
"""

import glob
import json
import os

from measuring.stopping import TARGET

from .results import load_json


def figures_files(run):
    """The paths of ``run``'s figures.json files (several when its asv run was repeated)."""
    results = os.path.dirname(os.path.dirname(run.path))
    pattern = os.path.join(results, "paired", run.machine, f"{run.commit[:8]}-*", "figures.json")
    return sorted(glob.glob(pattern))


def not_run(run):
    """{kernel: [N]} of the grid that ``run``'s machine did not run (beyond 4x its
    last-level cache, ``measuring.sizes``), from the paired measurement's plan.json;
    {} when no plan says (older runs measured the whole grid)."""
    out = {}
    for path in figures_files(run):
        try:
            plan = load_json(os.path.join(os.path.dirname(path), "plan.json"))
        except (OSError, ValueError):
            continue
        for kernel, grid in (plan.get("grid") or {}).items():
            run_ns = set(plan["sizes"].get(kernel, []))
            out[kernel] = sorted(set(out.get(kernel, [])) | {n for n in grid if n not in run_ns})
    return {k: v for k, v in out.items() if v}


def not_run_line(not_run_ns):
    """The sentence the summary and the page give for ``not_run``'s dict ("" if empty)."""
    if not not_run_ns:
        return ""
    listed = "; ".join(f"{k} N = {', '.join(map(str, ns))}" for k, ns in not_run_ns.items())
    return (
        f"Not run on this machine: {listed}. A smaller N already moves at least 4x its"
        " last-level cache, so these are memory-bound like it (PARBENCH_SIZES=full runs them)."
    )


#: a figure whose case had more than this share of its rounds marked is "mostly under
#: interference"
MOSTLY = 0.5


def _label(key):
    return " ".join(str(p) for p in key if p is not None)


def short(run):
    """([(key, interval, status)] short of the target, [key] of open ties,
    [(key, marked, noted)] measured mostly under interference).

    Each sorted by key.  OSError/ValueError are not raised: an unreadable file is
    left out, as is a figure without a status.
    """
    misses, ties, interfered = {}, set(), {}
    for path in figures_files(run):
        try:
            entries = load_json(path)
        except (OSError, ValueError):
            continue
        for text, entry in entries.items():
            status = entry.get("status") if isinstance(entry, dict) else None
            if not status:
                continue
            key = tuple(json.loads(text))
            if not status.get("met", True):
                misses[key] = (entry["interval"], status)
            if status.get("tie open"):
                ties.add(key)
            marked, noted = status.get("marked rounds", [0, 0])
            if noted and marked / noted > MOSTLY:
                interfered[key] = (marked, noted)
    order = sorted(misses, key=str)
    return (
        [(k, *misses[k]) for k in order],
        sorted(ties, key=str),
        [(k, *interfered[k]) for k in sorted(interfered, key=str)],
    )


def rows(run):
    """The table of ``short``'s misses: (figure, estimate [low, high], half-width, processes,
    rounds, seconds, why), strings."""
    out = []
    for key, interval, status in short(run)[0]:
        estimate, low, high = interval[:3]
        out.append(
            (
                _label(key),
                f"{estimate:.3g} [{low:.3g}, {high:.3g}]",
                f"{100 * (high - low) / 2 / estimate:.1f}%",
                str(status.get("processes", "")),
                str(status.get("rounds", "")),
                f"{status.get('seconds', 0):.0f} s",
                status.get("why", ""),
            )
        )
    return out


HEADER = ("figure", "estimate [95% interval]", "half-width", "processes", "rounds", "time", "why")
TITLE = f"Figures short of their precision target (half-width <= {100 * TARGET:.0f}%)"


def markdown(run):
    """summary.md's section (str), or "" when the run has no statuses."""
    files = figures_files(run)
    if not files:
        return ""
    misses, _ties, _interfered = short(run)
    lines = ["", f"## {TITLE}", ""]
    if misses:
        lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in rows(run)]
    else:
        lines.append("None: every figure met its target.")
    for title, items in notes(run):
        lines += ["", title, ""] + [f"- {item}" for item in items]
    return "\n".join(lines) + "\n"


def notes(run):
    """[(title, [item, ...])]: the open ties and the figures measured mostly under
    interference, where there are any."""
    _misses, ties, interfered = short(run)
    out = []
    if ties:
        out.append(
            (
                "Still tied with the fastest backend when the measurement stopped:",
                [_label(k) for k in ties],
            )
        )
    if interfered:
        items = [f"{_label(k)}: {m} of {n} rounds marked" for k, m, n in interfered]
        out.append(
            (
                f"Measured mostly under interference (more than {100 * MOSTLY:.0f}% of the "
                "rounds marked: the hypervisor or another process took a share of the CPUs):",
                items,
            )
        )
    return out
