"""Run B's figures over run A's, each with a 95% interval: what two runs can tell apart.

Two runs are independent (two machines, two environments, two commits), so
nothing is paired across them.  Where both runs kept each process's value of a
figure (``figures.json``, ``measuring.process_records``), the ratio B / A gets
``measuring.intervals.runs_ratio``'s interval (Hodges-Lehmann estimate, Moses'
distribution-free interval on the log scale).  Where one of them did not (the
runs committed before per-process values were kept), the interval is the
conservative one from the stored bounds, [B low / A high, B high / A low],
labelled "bounds": it is wider than it need be, never narrower.
"""

import json

from measuring.intervals import runs_ratio

from . import precision, records
from .results import load_json
from .tables import plain_table

HEADER = ("quantity", "kernel", "mode", "backend", "N", "B / A [95%]", "method")


def per_process(run):
    """{records key: [per-process values]} of ``run``'s figures.json files ({} if none).

    The seed ratios are keyed without their N, as ``records.read`` keys them.
    """
    out = {}
    for path in precision.figures_files(run):
        try:
            entries = load_json(path)
        except (OSError, ValueError):
            continue
        for text, entry in entries.items():
            key = tuple(json.loads(text))
            if key[0] == "seed ratio":
                key = key[:4] + (None,)
            values = entry.get("processes") if isinstance(entry, dict) else None
            if values:
                out[key] = values
    return out


def ratio(key, a, b, values_a, values_b):
    """(Interval of B / A, method): "Moses" from both runs' process values, else "bounds"."""
    if key in values_a and key in values_b:
        try:
            return runs_ratio(values_a[key], values_b[key]), "Moses"
        except ValueError:
            pass
    iv = records.Interval(b.estimate / a.estimate, b.low / a.high, b.high / a.low)
    return iv, "bounds"


def rows(run_a, run_b, pairs):
    """[(key, Interval of B / A, method)] of ``compare``'s pairs whose ratio excludes 1,
    and how many pairs were compared."""
    values_a, values_b = per_process(run_a), per_process(run_b)
    out = []
    for key, a, b, _overlap in pairs:
        iv, method = ratio(key, a, b, values_a, values_b)
        if iv.low > 1.0 or iv.high < 1.0:
            out.append((key, iv, method))
    return out


def lines(run_a, run_b, pairs):
    """The printed section: the figures whose B / A interval excludes 1."""
    found = rows(run_a, run_b, pairs)
    methods = sorted({m for _k, _iv, m in found})
    text = [
        "",
        f"B / A where the interval excludes 1 (a difference the intervals can tell): "
        f"{len(found)} of {len(pairs)}"
        + (f" (method: {', '.join(methods)}; 'bounds' is conservative)" if found else ""),
    ]
    if found:
        cells = [
            (
                q,
                k,
                m,
                bk,
                "-" if n is None else str(n),
                f"{iv.estimate:.3g} [{iv.low:.3g}, {iv.high:.3g}]",
                how,
            )
            for (q, k, m, bk, n), iv, how in found
        ]
        text.append(plain_table(cells, HEADER))
    return text
