"""Which paired figures fell short of their precision target, and which ties stayed open.

The paired measurement stops adding processes to a figure once its 95%
interval's half-width is within the target (``measuring.stopping``), and writes
each figure's status into the run's ``figures.json``
(``results/paired/<machine>/<commit8>-<env>-<plan>/``, ``measuring.process_records``).
``short(run)`` reads them: the figures whose target was not met, with why (the
process cap or the phase's budget), their processes, rounds and seconds; and the
resident speedups whose backend was still tied with the fastest at its N.  A run
measured before the statuses were written gives nothing.
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


def short(run):
    """([(key tuple, interval, status)] short of the target, [key tuple] of open ties).

    Both sorted by key.  OSError/ValueError are not raised: an unreadable file is
    left out, as is a figure without a status.
    """
    misses, ties = {}, set()
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
    order = sorted(misses, key=str)
    return [(k, *misses[k]) for k in order], sorted(ties, key=str)


def rows(run):
    """The table of ``short``'s misses: (figure, estimate [low, high], half-width, processes,
    rounds, seconds, why), strings."""
    out = []
    for key, interval, status in short(run)[0]:
        estimate, low, high = interval[:3]
        out.append(
            (
                " ".join(str(p) for p in key if p is not None),
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
    misses, ties = short(run)
    lines = ["", f"## {TITLE}", ""]
    if misses:
        lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in rows(run)]
    else:
        lines.append("None: every figure met its target.")
    if ties:
        lines += ["", "Still tied with the fastest backend when the measurement stopped:", ""]
        lines += [f"- {' '.join(str(p) for p in k if p is not None)}" for k in ties]
    return "\n".join(lines) + "\n"
