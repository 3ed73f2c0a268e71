"""Find asv's result files, pick the runs to report, and read one into plain data.

asv writes ``results/benchmarks.json`` (every benchmark's parameter names and
values), ``results/<machine>/machine.json`` and one ``<commit8>-<env>.json`` per
run.  Benchmarks are found by class and method name, whatever module holds them:
``MatVec.track_time`` (resident, params backend and N), ``MatVecEndToEnd.track_time``
(end-to-end), ``MatVecSerial.track_time`` (params N: numpy with one worker, the
baseline), the same three for ``VectorSum``, optionally ``MemoryRoof.track_read`` /
``MemoryRoof.track_triad`` (GB/s, no params), ``RoofFraction.track_percent``,
``SeedMatVec`` / ``SeedVectorSum`` / ``SeedRatio`` and ``RunInfo.track_info`` (one
param: a JSON object of run facts).  Every timing is seconds per call.
"""

import ast
import itertools
import json
import math
import os
from datetime import datetime, timezone

from measuring.figures import of_quantity

from . import settings

#: kernel -> benchmark class per mode ("serial" is numpy with one worker, the baseline)
KERNEL_CLASSES = {
    "matvec": {"resident": "MatVec", "end-to-end": "MatVecEndToEnd", "serial": "MatVecSerial"},
    "sum": {
        "resident": "VectorSum",
        "end-to-end": "VectorSumEndToEnd",
        "serial": "VectorSumSerial",
    },
}
TIME_METHOD = "track_time"
#: the absolute roof (roof.MemoryRoof, GB/s); the first method present is the roof for "% roof"
READ_ROOF_CLASS = "MemoryRoof"
READ_ROOF_METHODS = ("track_read", "track_triad")
INFO_CLASS, INFO_METHOD = "RunInfo", "track_info"
#: kernel GB/s / read-roof GB/s timed in alternation in one process (params kernel, backend)
(_FRACTION,) = of_quantity("roof percent")
FRACTION_CLASS, FRACTION_METHOD = _FRACTION.name, _FRACTION.methods[0]
#: seed versions of the kernels (params variant, N); "seed-<backend>[-detail]"
SEED_CLASSES = {"matvec": "SeedMatVec", "sum": "SeedVectorSum"}
#: seed time / backend time timed in alternation at the largest seed N (param "kernel:variant")
(_SEED_RATIO,) = of_quantity("seed ratio")
SEED_RATIO_CLASS, SEED_RATIO_METHOD = _SEED_RATIO.name, _SEED_RATIO.methods[0]

DEFAULT_ITEMSIZE = 8  # float64, unless a "dtype" param or RunInfo says otherwise
ITEMSIZES = {"float64": 8, "float32": 4, "f8": 8, "f4": 4, "double": 8, "single": 4}


class SelectionError(Exception):
    """Bad --machine / --commit (exit status 2)."""


def load_json(path):
    """The JSON document at ``path``; OSError or ValueError when unreadable.

    asv writes NaN as a bare NaN token (Python's json default), which json.load reads.
    """
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _load_optional(path):
    """The JSON document at ``path``, or {} when it is absent or unreadable."""
    try:
        return load_json(path) if os.path.isfile(path) else {}
    except (OSError, ValueError):
        return {}


def parse_param(text):
    """A parameter value from asv's repr() string ("'numba'" -> 'numba', "1024" -> 1024).

    Anything that is not a Python literal comes back unchanged.
    """
    if not isinstance(text, str):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def is_number(v):
    """True for a finite int or float (not a bool, NaN or infinity)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def split_name(name):
    """'suite.MatVec.track_time' -> ('MatVec', 'track_time'); class None without a dot."""
    parts = name.split(".")
    if len(parts) < 2:
        return (None, parts[-1])
    return parts[-2], parts[-1]


def format_date(ms):
    """A run's date (milliseconds since the epoch) as 'YYYY-MM-DD HH:MM UTC'."""
    try:
        # timezone.utc, not datetime.UTC (Python 3.11+): setup.py allows Python 3.9
        when = datetime.fromtimestamp(float(ms) / 1000.0, tz=timezone.utc)  # noqa: UP017
        return when.strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return "unknown date"


def read_header(path, machine):
    """The run header of one result file, or None if it is not an asv run."""
    try:
        data = load_json(path)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "results" not in data or "commit_hash" not in data:
        return None
    return {
        "path": path,
        "machine": machine,
        "commit": str(data.get("commit_hash") or ""),
        "date": data.get("date") or 0,
        "env_name": data.get("env_name") or "",
    }


def find_runs(results_dir):
    """Return {machine: [run header, ...]} for every asv result file under results_dir.

    A header is a dict with path, machine, commit, date (ms since the epoch) and
    env_name.  A missing directory gives {}; unreadable files are left out.
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
            header = read_header(os.path.join(mdir, fname), machine)
            if header is not None:
                runs.setdefault(machine, []).append(header)
    return runs


def _run_choice(h):
    return f"{h['commit'][:8]} ({format_date(h['date'])})"


def _of_commit(headers, commit, machine):
    """The headers whose commit starts with ``commit``; SelectionError if two commits do."""
    headers = [h for h in headers if h["commit"].lower().startswith(commit.lower())]
    if len({h["commit"] for h in headers}) > 1:
        choices = sorted({h["commit"][:12] for h in headers})
        raise SelectionError(
            f"commit prefix {commit!r} is ambiguous on {machine}; choices: {', '.join(choices)}"
        )
    return headers


def select_runs(runs, machine=None, commit=None):
    """Pick one run header per machine: the newest, or the newest of commit prefix ``commit``.

    ``runs`` is what ``find_runs`` returns.  Raises SelectionError for an unknown
    machine, an ambiguous commit prefix, or a commit no selected machine has run.
    """
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
        headers = _of_commit(runs[m], commit, m) if commit else runs[m]
        if headers:
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


def guess_param_names(parsed):
    """Parameter names without benchmarks.json: string values are the backend, integers N."""
    names = []
    for i, values in enumerate(parsed):
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            names.append("N" if "N" not in names else f"p{i}")
        elif values and all(isinstance(v, str) for v in values) and "backend" not in names:
            names.append("backend")
        else:
            names.append(f"p{i}")
    return names


def itemsize_of(params, default=DEFAULT_ITEMSIZE):
    """Bytes per element: a "dtype" param if the benchmark has one, else ``default``."""
    dtype = params.get("dtype")
    if isinstance(dtype, str):
        return ITEMSIZES.get(dtype, default)
    return default


class Run:
    """One asv result file read into plain data, with the run facts the report needs.

    Attributes: path, machine, commit, date (ms), env_name, env_params and
    machine_info (asv's dicts); info (RunInfo's str -> str dict, or {}); itemsize
    (bytes per element of the run: RunInfo's "dtype", float64 if absent); workers
    (RunInfo's "workers", else machine.json's num_cpu, else None); roofs ({'read':
    GB/s, 'triad': GB/s}, whichever were measured); roof_fractions ({(kernel,
    backend): % of the read roof, timed in alternation}).  Raises OSError or
    ValueError if the result file cannot be read; benchmarks.json and machine.json
    are optional.
    """

    def __init__(self, header, results_dir):
        self.path = header["path"]
        self.machine = header["machine"]
        self.commit = header["commit"]
        self.date = header["date"]
        self.env_name = header["env_name"]
        data = load_json(self.path)
        self.env_params = data.get("params") or {}
        self._columns = data.get("result_columns") or ["result", "params"]
        self._results = data.get("results") or {}
        self._meta = _load_optional(os.path.join(results_dir, "benchmarks.json"))
        self.machine_info = _load_optional(os.path.join(results_dir, self.machine, "machine.json"))
        #: {benchmark name: why the report cannot show it}, filled as the readers ask
        self.unreadable = {}
        self.info = self._info()
        self.itemsize = ITEMSIZES.get(str(self.info.get("dtype", "float64")), DEFAULT_ITEMSIZE)
        self.workers = self._workers()
        self.roofs = self._roofs()
        self.roof_fractions = {
            (p.get("kernel"), p.get("backend")): float(v)
            for p, v in self.entries(FRACTION_CLASS, FRACTION_METHOD)
            if is_number(v)
        }

    def _find(self, cls, method):
        """The benchmark name whose class and method match, or None."""
        hits = sorted(n for n in self._results if split_name(n) == (cls, method))
        return hits[0] if hits else None

    def _column(self, row, key):
        try:
            i = self._columns.index(key)
        except ValueError:
            return None
        return row[i] if i < len(row) else None  # asv drops trailing null columns

    def entries(self, cls, method, names=None):
        """[(params dict, value)] of benchmark ``cls.method`` in itertools.product order.

        value: a float (the benchmark's unit: seconds for timings); math.nan when
        skipped; None when failed.  [] when the run has no such benchmark.

        The parameter names come from benchmarks.json, which asv rewrites at each
        run with the suite it discovered then: an older run's benchmark may be
        missing from it.  Then ``names`` (the names the caller's benchmark
        defines) are used when their count matches the stored parameters; without
        them the names are guessed (``guess_param_names``, for the kernel
        timings); a count that does not match gives [] and an entry in
        ``self.unreadable``.
        """
        name = self._find(cls, method)
        if name is None:
            return []
        row = self._results.get(name) or []
        meta = self._meta.get(name) or {}
        params = self._column(row, "params")
        if params is None:
            params = meta.get("params") or []
        parsed = [[parse_param(v) for v in values] for values in params]
        known = list(meta.get("param_names") or [])
        if len(known) != len(parsed):
            if names is None:
                known = guess_param_names(parsed)
            elif len(names) == len(parsed):
                known = list(names)
            else:
                self.unreadable[name] = (
                    f"benchmarks.json has no parameter names for it and its {len(parsed)}"
                    f" parameters are not the expected {', '.join(names)}"
                )
                return []
        result = self._column(row, "result")
        combos = list(itertools.product(*parsed)) if parsed else [()]
        if not isinstance(result, list):
            result = [None] * len(combos)  # whole benchmark failed: asv stores null
        out = []
        for i, combo in enumerate(combos):
            value = result[i] if i < len(result) else None
            if value is not None and not isinstance(value, (int, float)):
                value = None
            out.append((dict(zip(known, combo)), value))
        return out

    def machine_fact(self, key):
        """The run's own record of ``key`` (its params), else machine.json's, else None.

        The run's record first: machine.json holds only the machine's latest
        description, and one machine name may have run on other hardware before.
        """
        v = self.env_params.get(key)
        if v in (None, ""):
            v = self.machine_info.get(key)
        return v

    def _info(self):
        values = [v for params, _ in self.entries(INFO_CLASS, INFO_METHOD) for v in params.values()]
        return settings.decode(values)

    def _workers(self):
        for v in (self.info.get("workers"), self.machine_fact("num_cpu")):
            try:
                n = int(v)
            except (TypeError, ValueError):
                continue
            if n > 0:
                return n
        return None

    def _roofs(self):
        out = {}
        for method in READ_ROOF_METHODS:
            values = [v for _p, v in self.entries(READ_ROOF_CLASS, method) if is_number(v)]
            if values:
                out[method.replace("track_", "")] = float(values[0])
        return out
