"""The run settings as short lines, so that ``asv compare`` stays readable.

``RunInfo`` (benchmarks/runinfo.py) stores the settings of a run as its
parameter values, the only per-run text asv keeps.  One JSON object as one value
made ``asv compare`` print a row over 1,300 characters wide; so each setting is
its own value, ``"key: value"``, and a value longer than ``WIDTH`` characters
continues on lines ``"key (2): ..."``, ``"key (3): ..."``.  ``decode`` also reads
the one-JSON-object form of earlier runs.
"""

import json
import re

WIDTH = 72
_LINE = re.compile(r"^(?P<key>[^:()]+?)(?: \((?P<part>\d+)\))?: (?P<value>.*)$", re.S)


def encode(settings):
    """["key: value", ...] (sorted by key) from a {str: str} dict; long values split."""
    lines = []
    for k in sorted(settings):
        v = str(settings[k])
        chunks = [v[i : i + WIDTH] for i in range(0, len(v), WIDTH)] or [""]
        lines.append(f"{k}: {chunks[0]}")
        lines += [f"{k} ({i}): {c}" for i, c in enumerate(chunks[1:], start=2)]
    return lines


def decode(values):
    """{str: str} from the parameter values ``encode`` made (or one JSON object)."""
    values = [v for v in values if isinstance(v, str)]
    if len(values) == 1 and values[0].lstrip().startswith("{"):
        try:
            d = json.loads(values[0])
        except ValueError:
            return {"info": values[0]}
        return {str(k): str(v) for k, v in d.items()} if isinstance(d, dict) else {}
    parts = {}
    for v in values:
        m = _LINE.match(v)
        if m is None:
            parts.setdefault("info", []).append((1, v))
            continue
        parts.setdefault(m["key"], []).append((int(m["part"] or 1), m["value"]))
    return {k: "".join(text for _, text in sorted(p)) for k, p in parts.items()}
