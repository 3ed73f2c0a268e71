"""Figures and a summary table from asv's results JSON.

Run from the repository root after ``asv run``::

    python -m benchmarks.plot                 # newest run of every machine
    python -m benchmarks.plot --machine NAME --commit 1a2b3c4d --format png

For each machine and kernel (matvec, sum) it writes, under ``plots/<machine>/``:

* ``<kernel>-time.<fmt>``       seconds per call vs N (log-log); resident timings
  solid, end-to-end dashed, the serial numpy baseline black;
* ``<kernel>-speedup.<fmt>``    serial-numpy time / backend time vs N, with lines
  at 1 (break-even) and at the worker count (ideal scaling);
* ``<kernel>-bandwidth.<fmt>``  GB/s vs N (matvec moves 8*(N*N + 2N) bytes, sum 8*N
  for float64), with the machine's memory roof from the same run when measured;
* ``summary.md``                the summary table (also printed).

It reads only asv's JSON (``results/benchmarks.json``, ``results/<machine>/
machine.json`` and ``results/<machine>/<commit8>-<env>.json``); it never imports
``kernels`` or a backend. matplotlib is imported inside functions, because asv
imports every module in ``benchmarks/`` during discovery.

Benchmarks are found by class and method name, whatever module holds them:
``MatVec.track_time`` (resident, params backend and N), ``MatVecEndToEnd.track_time``
(end-to-end), ``MatVecSerial.track_time`` (params N: numpy with one worker, the
baseline), the same three for ``VectorSum``, optionally ``MemoryRoof.track_read`` /
``MemoryRoof.track_triad`` (GB/s, no params) and ``RunInfo.track_info`` (one param:
a JSON object of run facts, shown in the caption). Each value is seconds per call.
"""

import argparse
import ast
import json
import math
import os
import sys
import textwrap
from datetime import datetime, timezone

#: kernel -> title, benchmark class per mode, bytes moved per call (N, itemsize)
KERNELS = {
    "matvec": {
        "title": "matvec (y = A @ x)",
        "classes": {"resident": "MatVec", "end-to-end": "MatVecEndToEnd", "serial": "MatVecSerial"},
        "bytes": lambda n, itemsize: itemsize * (n * n + 2 * n),
    },
    "sum": {
        "title": "vector sum (s = sum(a))",
        "classes": {
            "resident": "VectorSum",
            "end-to-end": "VectorSumEndToEnd",
            "serial": "VectorSumSerial",
        },
        "bytes": lambda n, itemsize: itemsize * n,
    },
}
TIME_METHOD = "track_time"
ROOF_CLASS = "MemoryRoof"
ROOF_METHODS = ("track_read", "track_triad")  # the first one present is the roof for "% roof"
INFO_CLASS, INFO_METHOD = "RunInfo", "track_info"
#: kernel GB/s / read-roof GB/s timed in alternation in one process (params kernel, backend)
FRACTION_CLASS, FRACTION_METHOD = "RoofFraction", "track_percent"
#: seed versions of the kernels (params variant, N); "seed-<backend>[-detail]"
SEED_CLASSES = {"matvec": "SeedMatVec", "sum": "SeedVectorSum"}
#: seed time / backend time timed in alternation at the largest seed N (param "kernel:variant")
SEED_RATIO_CLASS, SEED_RATIO_METHOD = "SeedRatio", "track_ratio"
DEFAULT_ITEMSIZE = 8  # float64, unless a "dtype" param says otherwise

SERIAL_LABEL = "numpy"
MODES = ("resident", "end-to-end")
#: legend / table order and fixed colours, so a backend looks the same in every figure
BACKEND_ORDER = (
    "numpy",
    "numba",
    "cython-openmp",
    "opencl",
    "multiprocessing",
    "mpi",
    "ipyparallel",
)
_PALETTE = (
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
FORMATS = ("png", "svg", "pdf")
MISSING = "-"


class SelectionError(Exception):
    """Bad --machine / --commit (exit status 2)."""


class NoResults(Exception):
    """Nothing to plot (exit status 1)."""


# --------------------------------------------------------------------------- reading


def _load_json(path):
    # asv writes NaN as a bare NaN token (Python's json default), which json.load reads.
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _parse_param(text):
    """asv stores parameter values as repr() strings: "'numba'", "1024"."""
    if not isinstance(text, str):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _split_name(name):
    """'suite.MatVec.track_time' -> ('MatVec', 'track_time')."""
    parts = name.split(".")
    if len(parts) < 2:
        return (None, parts[-1])
    return parts[-2], parts[-1]


def find_runs(results_dir):
    """Return {machine: [run header, ...]} for every asv result file under results_dir.

    A header is a dict with path, machine, commit, date (ms), env_name.
    """
    runs = {}
    if not os.path.isdir(results_dir):
        return runs
    for machine in sorted(os.listdir(results_dir)):
        mdir = os.path.join(results_dir, machine)
        if not os.path.isdir(mdir):
            continue
        for fname in sorted(os.listdir(mdir)):
            if not fname.endswith(".json") or fname == "machine.json":
                continue
            path = os.path.join(mdir, fname)
            try:
                data = _load_json(path)
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or "results" not in data or "commit_hash" not in data:
                continue
            runs.setdefault(machine, []).append(
                {
                    "path": path,
                    "machine": machine,
                    "commit": str(data.get("commit_hash") or ""),
                    "date": data.get("date") or 0,
                    "env_name": data.get("env_name") or "",
                }
            )
    return runs


def _run_choice(h):
    return f"{h['commit'][:8]} ({_fmt_date(h['date'])})"


def select_runs(runs, machine=None, commit=None):
    """Pick one result file per machine: the newest, or the newest of commit prefix ``commit``."""
    if machine is not None:
        if machine not in runs:
            raise SelectionError(
                f"no results for machine {machine!r}; choices: {', '.join(sorted(runs))}"
            )
        machines = [machine]
    else:
        machines = sorted(runs)
    chosen = []
    for m in machines:
        headers = runs[m]
        if commit:
            headers = [h for h in headers if h["commit"].lower().startswith(commit.lower())]
            if len({h["commit"] for h in headers}) > 1:
                choices = sorted({h["commit"][:12] for h in headers})
                raise SelectionError(
                    f"commit prefix {commit!r} is ambiguous on {m}; choices: {', '.join(choices)}"
                )
            if not headers:
                continue
        chosen.append(max(headers, key=lambda h: (h["date"], h["path"])))
    if commit and not chosen:
        choices = sorted(
            {_run_choice(h) for m in machines for h in runs[m]},
            key=lambda s: s.split(" (")[1],
            reverse=True,
        )
        where = f"machine {machine!r}" if machine else "any machine"
        raise SelectionError(
            f"no run of commit {commit!r} on {where}; choices: {', '.join(choices)}"
        )
    return chosen


class Run:
    """One asv result file, plus the metadata needed to read it."""

    def __init__(self, header, results_dir):
        self.path = header["path"]
        self.machine = header["machine"]
        self.commit = header["commit"]
        self.date = header["date"]
        self.env_name = header["env_name"]
        data = _load_json(self.path)
        self.env_params = data.get("params") or {}
        self.columns = data.get("result_columns") or ["result", "params"]
        self.results = data.get("results") or {}
        meta_path = os.path.join(results_dir, "benchmarks.json")
        try:
            self.meta = _load_json(meta_path) if os.path.isfile(meta_path) else {}
        except (OSError, ValueError):
            self.meta = {}
        mpath = os.path.join(results_dir, self.machine, "machine.json")
        try:
            self.machine_info = _load_json(mpath) if os.path.isfile(mpath) else {}
        except (OSError, ValueError):
            self.machine_info = {}

    # -- raw access

    def find(self, cls, method):
        """The benchmark name whose class and method match, or None."""
        hits = sorted(n for n in self.results if _split_name(n) == (cls, method))
        return hits[0] if hits else None

    def _column(self, row, key):
        try:
            i = self.columns.index(key)
        except ValueError:
            return None
        return row[i] if i < len(row) else None  # asv drops trailing null columns

    def entries(self, name):
        """[(params dict, value)] in itertools.product order.

        value: a float; math.nan when skipped; None when failed or absent.
        """
        import itertools

        row = self.results.get(name) or []
        meta = self.meta.get(name) or {}
        params = self._column(row, "params")
        if params is None:
            params = meta.get("params") or []
        names = list(meta.get("param_names") or [])
        parsed = [[_parse_param(v) for v in values] for values in params]
        if len(names) != len(parsed):
            names = _guess_param_names(parsed)
        result = self._column(row, "result")
        combos = list(itertools.product(*parsed)) if parsed else [()]
        if not isinstance(result, list):
            result = [None] * len(combos)  # whole benchmark failed: asv stores null
        out = []
        for i, combo in enumerate(combos):
            value = result[i] if i < len(result) else None
            if value is not None and not isinstance(value, (int, float)):
                value = None
            out.append((dict(zip(names, combo)), value))
        return out

    def unit(self, name):
        return (self.meta.get(name) or {}).get("unit")

    # -- derived facts

    def info(self):
        """The RunInfo dict (str -> str), or {}."""
        name = self.find(INFO_CLASS, INFO_METHOD)
        if name is None:
            return {}
        for params, _value in self.entries(name):
            for v in params.values():
                if isinstance(v, str):
                    try:
                        d = json.loads(v)
                    except ValueError:
                        return {"info": v}
                    return d if isinstance(d, dict) else {"info": str(d)}
        return {}

    def machine_fact(self, key):
        v = self.machine_info.get(key)
        if v in (None, ""):
            v = self.env_params.get(key)
        return v

    def workers(self):
        """Worker count for the ideal-speedup line: RunInfo 'workers', else num_cpu."""
        for v in (self.info().get("workers"), self.machine_fact("num_cpu")):
            try:
                n = int(v)
            except (TypeError, ValueError):
                continue
            if n > 0:
                return n
        return None

    def roof_fractions(self):
        """{(kernel, backend): % of the read roof, timed in alternation} (RoofFraction)."""
        name = self.find(FRACTION_CLASS, FRACTION_METHOD)
        if name is None:
            return {}
        return {(p.get("kernel"), p.get("backend")): float(v)
                for p, v in self.entries(name) if _is_number(v)}

    def roofs(self):
        """{'read': GB/s, 'triad': GB/s} for whichever roof benchmarks hold a number."""
        out = {}
        for method in ROOF_METHODS:
            name = self.find(ROOF_CLASS, method)
            if name is None:
                continue
            values = [v for _p, v in self.entries(name) if _is_number(v)]
            if values:
                out[method.replace("track_", "")] = float(values[0])
        return out


def _guess_param_names(parsed):
    """Without benchmarks.json: string values are the backend, integers are N."""
    names = []
    for i, values in enumerate(parsed):
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            names.append("N" if "N" not in names else f"p{i}")
        elif values and all(isinstance(v, str) for v in values) and "backend" not in names:
            names.append("backend")
        else:
            names.append(f"p{i}")
    return names


_ITEMSIZES = {"float64": 8, "float32": 4, "f8": 8, "f4": 4, "double": 8, "single": 4}


def _itemsize(params, default=DEFAULT_ITEMSIZE):
    """Bytes per element: a "dtype" param if the benchmark has one, else ``default``."""
    dtype = params.get("dtype")
    if isinstance(dtype, str):
        return _ITEMSIZES.get(dtype, default)
    return default


def run_itemsize(run):
    """Bytes per element for the whole run: RunInfo's "dtype" (float64 if absent)."""
    return _ITEMSIZES.get(str(run.info().get("dtype", "float64")), DEFAULT_ITEMSIZE)


def collect(run, kernel):
    """Series for one kernel: {(backend, mode): {N: value}} plus the sorted Ns.

    mode is 'resident', 'end-to-end' or 'serial' (the numpy workers=1 baseline).
    value is seconds (float), math.nan (skipped) or None (failed / not run).
    Also returns {(backend, mode): itemsize}.
    """
    series, itemsizes, ns = {}, {}, set()
    default_itemsize = run_itemsize(run)
    for mode, cls in KERNELS[kernel]["classes"].items():
        name = run.find(cls, TIME_METHOD)
        if name is None:
            continue
        for params, value in run.entries(name):
            n = params.get("N")
            if not isinstance(n, int) or isinstance(n, bool):
                continue
            if mode == "serial":
                label = SERIAL_LABEL
            else:
                rest = [str(v) for k, v in params.items() if k != "N"]
                label = str(params["backend"]) if "backend" in params else ", ".join(rest)
                extra = [str(v) for k, v in params.items() if k not in ("N", "backend")]
                if "backend" in params and extra:
                    label = f"{label} ({', '.join(extra)})"
            key = (label, mode)
            series.setdefault(key, {})[n] = value
            itemsizes[key] = _itemsize(params, default_itemsize)
            ns.add(n)
    return series, itemsizes, sorted(ns)


def _order_key(key):
    label, mode = key
    base = label.split(" (")[0]
    rank = BACKEND_ORDER.index(base) if base in BACKEND_ORDER else len(BACKEND_ORDER)
    mode_rank = {"serial": 0, "resident": 1, "end-to-end": 2}.get(mode, 3)
    return (rank, label, mode_rank)


def ordered(series):
    """Series keys in a stable order: serial first, then backends in registry order."""
    keys = sorted(series, key=_order_key)
    return [k for k in keys if k[1] == "serial"] + [k for k in keys if k[1] != "serial"]


def _colors(keys):
    labels = []
    for label, mode in keys:
        if mode != "serial" and label not in labels:
            labels.append(label)
    known = [lb for lb in labels if lb in BACKEND_ORDER]
    other = [lb for lb in labels if lb not in BACKEND_ORDER]
    colors = {lb: _PALETTE[BACKEND_ORDER.index(lb) % len(_PALETTE)] for lb in known}
    for i, lb in enumerate(other):
        colors[lb] = _PALETTE[(len(BACKEND_ORDER) + i) % len(_PALETTE)]
    return colors


# --------------------------------------------------------------------------- numbers


def _value(series, key, n):
    v = series.get(key, {}).get(n)
    return float(v) if _is_number(v) and v > 0 else None


def speedup_series(series, key, ns):
    """{N: serial time / time} where both exist."""
    out = {}
    base = (SERIAL_LABEL, "serial")
    for n in ns:
        t, t0 = _value(series, key, n), _value(series, base, n)
        if t is not None and t0 is not None:
            out[n] = t0 / t
    return out


def crossover(speedups):
    """Smallest N from which speedup > 1 at every larger measured N.

    'never' if it loses (or ties) at the largest N both were measured at, None without data.
    """
    if not speedups:
        return None
    result = "never"
    for n in sorted(speedups, reverse=True):
        if speedups[n] > 1.0:
            result = n
        else:
            break
    return result


def bandwidth_gbs(kernel, n, seconds, itemsize=DEFAULT_ITEMSIZE):
    return KERNELS[kernel]["bytes"](n, itemsize) / seconds / 1e9


def summarize(run, kernel):
    """Summary rows for one kernel plus the list of missing entries."""
    series, itemsizes, ns = collect(run, kernel)
    roofs = run.roofs()
    roof = next(iter(roofs.values()), None)  # read if measured, else triad
    rows, missing = [], []
    for key in ordered(series):
        label, mode = key
        measured = [n for n in ns if _value(series, key, n) is not None]
        for n in sorted(series[key]):
            v = series[key][n]
            if not (_is_number(v) and v > 0):
                why = "skipped" if isinstance(v, float) and math.isnan(v) else "failed"
                missing.append((label, kernel, n, mode, why))
        row = {
            "kernel": kernel,
            "backend": label,
            "mode": mode,
            "n_max": None,
            "gbs": None,
            "roof_pct": None,
            "alt_pct": None,
            "n_min": None,
            "floor_us": None,
            "speedup": None,
            "crossover": None,
        }
        if measured:
            n_max, n_min = measured[-1], measured[0]
            t_max = _value(series, key, n_max)
            row["n_max"], row["n_min"] = n_max, n_min
            row["gbs"] = bandwidth_gbs(kernel, n_max, t_max, itemsizes.get(key, DEFAULT_ITEMSIZE))
            if roof:
                row["roof_pct"] = 100.0 * row["gbs"] / roof
            if mode == "resident":
                row["alt_pct"] = run.roof_fractions().get((kernel, label))
            row["floor_us"] = _value(series, key, n_min) * 1e6
            sp = speedup_series(series, key, ns)
            if n_max in sp:
                row["speedup"] = sp[n_max]
            if mode != "serial":
                row["crossover"] = crossover(sp)
        rows.append(row)
    return rows, missing


# --------------------------------------------------------------------------- text


def _fmt_date(ms):
    try:
        return datetime.fromtimestamp(float(ms) / 1000.0, tz=timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        )
    except (TypeError, ValueError, OverflowError, OSError):
        return "unknown date"


def _fmt(v, spec, suffix=""):
    if v is None:
        return MISSING
    if isinstance(v, str):
        return v
    return format(v, spec) + suffix


TABLE_HEADER = (
    "kernel",
    "backend",
    "mode",
    "GB/s @ N max",
    "% roof",
    "% roof alt.",
    "N max",
    "floor us @ N min",
    "N min",
    "speedup @ N max",
    "crossover N",
)


def table_cells(rows):
    cells = []
    for r in rows:
        cross = r["crossover"]
        if r["mode"] == "serial":
            cross = "baseline"
        cells.append(
            (
                r["kernel"],
                r["backend"],
                r["mode"],
                _fmt(r["gbs"], ".2f"),
                _fmt(r["roof_pct"], ".1f", "%"),
                _fmt(r["alt_pct"], ".1f", "%"),
                _fmt(r["n_max"], "d"),
                _fmt(r["floor_us"], ".1f"),
                _fmt(r["n_min"], "d"),
                _fmt(r["speedup"], ".2f", "x"),
                _fmt(cross, "d") if not isinstance(cross, str) else cross,
            )
        )
    return cells


SEED_RATIO_HEADER = ("kernel", "seed version", "backend speedup over seed (alternated)")
SEED_HEADER = ("kernel", "seed version", "vs backend", "N", "seed time", "backend time",
               "backend speedup over seed")


def seed_comparison(run):
    """Rows comparing each seed version with its parbench backend (resident) at every
    N both measured: (kernel, variant, backend, N, seed s, backend s, seed/backend)."""
    rows = []
    for kernel, cls in SEED_CLASSES.items():
        name = run.find(cls, TIME_METHOD)
        if name is None:
            continue
        series, _, _ = collect(run, kernel)
        for params, value in run.entries(name):
            variant, n = str(params.get("variant")), params.get("N")
            backend = max((b for b in BACKEND_ORDER if variant.startswith(f"seed-{b}")),
                          key=len, default=None)
            mine = _value(series, (backend, "resident"), n)
            if backend and mine and _is_number(value) and value > 0:
                rows.append((kernel, variant, backend, n, value, mine, value / mine))
    return rows


def seed_ratios(run):
    """{(kernel, variant): seed time / backend time, timed in alternation} (SeedRatio)."""
    name = run.find(SEED_RATIO_CLASS, SEED_RATIO_METHOD)
    if name is None:
        return {}
    out = {}
    for params, value in run.entries(name):
        case = str(next(iter(params.values()), ""))
        if ":" in case and _is_number(value):
            kernel, variant = case.split(":", 1)
            out[(kernel, variant)] = float(value)
    return out


def seed_cells(rows):
    return [(k, v, b, str(n), f"{ts * 1e3:.3f} ms", f"{tb * 1e3:.3f} ms", f"{r:.2f}x")
            for k, v, b, n, ts, tb, r in rows]


def _missing_lines(missing):
    return [
        f"skipped or failed: {label} {kernel} {n} ({mode}, {why})"
        for label, kernel, n, mode, why in missing
    ]


def plain_table(cells, header=TABLE_HEADER):
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(x.ljust(w) for x, w in zip(c, widths)))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(cells, header=TABLE_HEADER):
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|")
    for c in cells:
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in c) + " |")
    return "\n".join(lines)


def run_heading(run):
    return f"{run.machine} @ {run.commit[:8]} ({_fmt_date(run.date)}), env {run.env_name or '?'}"


def _notes(run, roofs):
    notes = []
    if roofs:
        notes.append(
            "memory roof: "
            + ", ".join(f"{k} {v:.2f} GB/s" for k, v in roofs.items())
            + f" (% roof uses {next(iter(roofs))}; it is DRAM bandwidth, so sizes that fit in "
            "cache can exceed it)"
        )
    else:
        notes.append("memory roof: not measured in this run")
    if run.roof_fractions():
        notes.append(
            "% roof alt. = resident GB/s / read-roof GB/s, the two timed in alternation in one "
            "process at the largest default N (RoofFraction; robust to the bandwidth drifting "
            "during the run)")
    unavailable = {k: v for k, v in run.info().items()
                   if isinstance(v, str) and v.startswith("unavailable")}
    for backend, why in sorted(unavailable.items()):
        notes.append(f"{backend}: {why}")
    size = run_itemsize(run)
    notes.append(
        f"bandwidth = bytes moved / time per call: matvec {size}*(N*N + 2N), sum {size}*N "
        f"({size}-byte elements)"
    )
    notes.append(
        "speedup = serial numpy (workers=1) time / backend time at the same N; crossover N = "
        "smallest N from which the backend beats serial numpy at every larger N; floor = "
        "time per call at the smallest N measured"
    )
    return notes


def caption(run):
    parts = []
    cpu = run.machine_fact("cpu")
    ncpu = run.machine_fact("num_cpu")
    facts = [f"machine {run.machine}"]
    if ncpu not in (None, ""):
        facts.append(f"num_cpu {ncpu}")
    if cpu:
        facts.append(f"cpu {cpu}")
    if run.machine_fact("os"):
        facts.append(f"os {run.machine_fact('os')}")
    ram = run.machine_fact("ram")
    if ram:
        try:  # asv records bytes (MemTotal * 1024)
            facts.append(f"ram {int(ram) / 2**30:.1f} GiB")
        except (TypeError, ValueError):
            facts.append(f"ram {ram}")
    parts.append(", ".join(facts))
    info = run.info()
    if info:
        items = []
        for k, v in info.items():
            v = " ".join(str(v).split())
            if len(v) > 48:
                v = v[:45] + "..."
            items.append(f"{k}={v}")
        parts.append("run: " + "; ".join(items))
    return textwrap.fill(" | ".join(parts), width=150)


# --------------------------------------------------------------------------- figures


def _new_figure(run, caption_text):
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


def _title(ax, run, kernel, what):
    ax.set_title(
        f"{KERNELS[kernel]['title']}: {what}\n"
        f"{run.machine} @ {run.commit[:8]}, {_fmt_date(run.date)}",
        fontsize=10,
    )


def _style(key, colors):
    label, mode = key
    if mode == "serial":
        return {"color": "black", "linestyle": "-", "linewidth": 2.2, "marker": "s",
                "markersize": 4}
    return {
        "color": colors[label],
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


def _finish(ax, fig, ns, has_dashed):
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


def _line(ax, ns, ys, key, colors):
    """One series; NaN where skipped/failed, so matplotlib leaves a gap (never a zero)."""
    label = _legend_label(key)
    if all(math.isnan(y) for y in ys):
        label += " - no data"
    ax.plot(ns, ys, label=label, **_style(key, colors))


def _ys(values, ns):
    return [values.get(n) if values.get(n) is not None else float("nan") for n in ns]


def _start(run, kernel, cap, with_serial=True):
    """What every figure starts from: (series, itemsizes, ns, fig, ax, keys, colors)."""
    series, itemsizes, ns = collect(run, kernel)
    fig, ax = _new_figure(run, cap if cap is not None else caption(run))
    keys = [k for k in ordered(series) if with_serial or k[1] != "serial"]
    return series, itemsizes, ns, fig, ax, keys, _colors(keys)


def plot_time(run, kernel, cap=None):
    series, _, ns, fig, ax, keys, colors = _start(run, kernel, cap)
    for key in keys:
        _line(ax, ns, _ys({n: _value(series, key, n) for n in ns}, ns), key, colors)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel("time per call [s]")
    _title(ax, run, kernel, "time per call")
    _finish(ax, fig, ns, any(k[1] == "end-to-end" for k in keys))
    return fig


def plot_speedup(run, kernel, cap=None):
    series, _, ns, fig, ax, keys, colors = _start(run, kernel, cap, with_serial=False)
    workers = run.workers()
    top = 1.0
    for key in keys:
        sp = speedup_series(series, key, ns)
        top = max([top] + list(sp.values()))
        _line(ax, ns, _ys(sp, ns), key, colors)
    ax.axhline(1.0, color="black", linewidth=1.2, label="1 = serial numpy")
    if workers:
        ax.axhline(workers, color="0.4", linewidth=1.0, linestyle=":",
                   label=f"{workers} = workers (ideal)")
        top = max(top, workers)
    ax.set_xscale("log")
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel("speedup vs serial numpy (workers=1)")
    _title(ax, run, kernel, "speedup over serial numpy")
    if (SERIAL_LABEL, "serial") not in series:
        ax.text(0.5, 0.5, "no serial numpy baseline in this run", transform=ax.transAxes,
                ha="center")
    _finish(ax, fig, ns, any(k[1] == "end-to-end" for k in keys))
    return fig


def plot_bandwidth(run, kernel, cap=None):
    series, itemsizes, ns, fig, ax, keys, colors = _start(run, kernel, cap)
    for key in keys:
        bw = {}
        for n in ns:
            t = _value(series, key, n)
            if t is not None:
                bw[n] = bandwidth_gbs(kernel, n, t, itemsizes.get(key, DEFAULT_ITEMSIZE))
        _line(ax, ns, _ys(bw, ns), key, colors)
    styles = {"read": "-", "triad": "-."}
    for name, gbs in run.roofs().items():
        ax.axhline(gbs, color="0.45", linewidth=1.4, linestyle=styles.get(name, ":"),
                   label=f"roof: {name} {gbs:.1f} GB/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    size = run_itemsize(run)
    moved = f"{size}*(N*N + 2N)" if kernel == "matvec" else f"{size}*N"
    ax.set_ylabel(f"bandwidth [GB/s]  ({moved} bytes / time)")
    _title(ax, run, kernel, "memory bandwidth")
    _finish(ax, fig, ns, any(k[1] == "end-to-end" for k in keys))
    return fig


PLOTS = (("time", plot_time), ("speedup", plot_speedup), ("bandwidth", plot_bandwidth))


# --------------------------------------------------------------------------- driver


def process(run, output_dir, formats, out=None):
    """Write figures and summary for one run; return the paths written."""
    out = sys.stdout if out is None else out
    mdir = os.path.join(output_dir, run.machine)
    os.makedirs(mdir, exist_ok=True)
    written = []
    cap = caption(run)
    all_rows, all_missing = [], []
    for kernel in KERNELS:
        series, _, ns = collect(run, kernel)
        if not series or not ns:
            continue
        for what, func in PLOTS:
            fig = func(run, kernel, cap)
            for fmt in formats:
                path = os.path.join(mdir, f"{kernel}-{what}.{fmt}")
                fig.savefig(path, format=fmt)
                written.append(path)
                print(path, file=out)
        rows, missing = summarize(run, kernel)
        all_rows += rows
        all_missing += missing
    if not written:
        return written
    cells = table_cells(all_rows)
    roofs = run.roofs()
    notes = _notes(run, roofs)
    missing_lines = _missing_lines(all_missing)
    md = [f"# parbench summary: {run_heading(run)}", "", markdown_table(cells), ""]
    md += [f"- {n}" for n in notes]
    seeds = seed_cells(seed_comparison(run))
    if seeds:
        md += ["", "## parbench vs the seeds' plain versions (resident, same N and workers)", "",
               markdown_table(seeds, SEED_HEADER)]
    alternated = [(k, v, f"{r:.2f}x") for (k, v), r in sorted(seed_ratios(run).items())]
    if alternated:
        md += ["", "Timed in alternation in one process at the largest seed N (SeedRatio;"
               " > 1: parbench faster):", "",
               markdown_table(alternated, SEED_RATIO_HEADER)]
    if missing_lines:
        md += ["", "Skipped or failed:", ""] + [f"- `{line}`" for line in missing_lines]
    md_path = os.path.join(mdir, "summary.md")
    with open(md_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(md) + "\n")
    written.append(md_path)
    print(md_path, file=out)
    text = [f"\n{run_heading(run)}", plain_table(cells), ""]
    text += notes
    if seeds:
        text += ["", "parbench vs the seeds' plain versions (resident, same N and workers)",
                 plain_table(seeds, SEED_HEADER)]
    if alternated:
        text += ["", "timed in alternation in one process at the largest seed N (SeedRatio)",
                 plain_table(alternated, SEED_RATIO_HEADER)]
    text += missing_lines
    print("\n".join(text), file=out)
    return written


def _formats(text):
    fmts = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(bad) or text!r}; choose from {', '.join(FORMATS)}"
        )
    return fmts


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.plot",
        description=(
            "Plot parbench's asv results: time, speedup over serial numpy and bandwidth "
            "vs N for each kernel (matvec, sum), and a summary table. Reads only asv's JSON."
        ),
        epilog="Run `asv run` first (see README). "
        "Exit status: 0 ok, 1 no results, 2 bad --machine/--commit.",
    )
    p.add_argument(
        "--results",
        default="results",
        metavar="DIR",
        help="asv results directory (results_dir in asv.conf.json; default: %(default)s)",
    )
    p.add_argument(
        "--machine",
        metavar="NAME",
        help="plot only this machine (a folder under the results directory); "
        "default: every machine found",
    )
    p.add_argument(
        "--commit",
        metavar="HASH",
        help="plot the run of the commit starting with this hash prefix instead of each machine's "
        "newest run (newest by the run's date)",
    )
    p.add_argument(
        "--output",
        default="plots",
        metavar="DIR",
        help="where to write <machine>/<kernel>-{time,speedup,bandwidth}.<fmt> and "
        "<machine>/summary.md (default: %(default)s)",
    )
    p.add_argument(
        "--format",
        dest="formats",
        type=_formats,
        nargs="+",
        default=None,
        metavar="FMT",
        help=f"figure format(s), space- or comma-separated, from {', '.join(FORMATS)} "
        "(default: png svg)",
    )
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    formats = []
    for group in args.formats or [["png", "svg"]]:
        formats += [f for f in group if f not in formats]
    runs = find_runs(args.results)
    if not runs:
        print(
            f"no asv results in {args.results.rstrip('/')}/: run `asv run` first (see README)",
            file=sys.stderr,
        )
        return 1
    try:
        chosen = select_runs(runs, args.machine, args.commit)
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    written = []
    for header in chosen:
        run = Run(header, args.results)
        paths = process(run, args.output, formats)
        if not paths:
            print(
                f"no MatVec/VectorSum timings in {header['path']}: nothing to plot",
                file=sys.stderr,
            )
        written += paths
    if not written:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
