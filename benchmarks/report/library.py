"""The backends built on a library with calls of its own, against those calls (a summary section).

``markdown(run)``: a summary.md section from ``paired.MatVecLibraryRatio`` and
``paired.VectorSumLibraryRatio`` (``measuring.pairs``'s ``library ratio``,
each an estimate with its 95% interval over processes): at the smallest N the
backend's resident call / the library's no-op call on the same workers (the
backend's floor against the library's round trip), at the largest N the call /
the library's call of the workers' compute alone.  "" when the run has none.
"""

from measuring.figures import of_quantity

from .records import intervals
from .tables import fmt

#: what each point's ratio is measured against, and the target it is read with
REFERENCE = {
    "smallest N": ("the library's no-op call (round trip)", 1.2),
    "largest N": ("the library's call of the workers' compute alone", 1.2),
}


def rows(run):
    """[(kernel, backend, at, Interval)] of the run's library ratios, kernels in order."""
    out = []
    for fig in of_quantity("library ratio"):
        for p, iv in intervals(run, fig.name, fig.methods):
            out.append((fig.kernel, str(p.get("backend")), str(p.get("at")), iv))
    return out


def markdown(run):
    """summary.md's section (str, ends with a newline), or ""."""
    found = rows(run)
    if not found:
        return ""
    lines = [
        "",
        "## What a backend adds to its library's own calls (95% intervals)",
        "",
        "| kernel | backend | at | call / reference | reference | within 1.2x |",
        "|---|---|---|---:|---|---|",
    ]
    for kernel, backend, at, iv in found:
        what, target = REFERENCE.get(at, ("?", None))
        met = "-" if target is None else ("yes" if iv.high <= target else "no")
        lines.append(f"| {kernel} | {backend} | {at} | {fmt(iv, '.2f', 'x')} | {what} | {met} |")
    return "\n".join(lines) + "\n"
