"""asv 0.6's results format, written for the report tests: benchmarks.json entries, result
rows (``Benchmarks``), machine.json and run files.  tests/report_data.py says what to write."""

import json

NAN = float("nan")
MACHINE = "testbox"
ENV = "virtualenv-py3.11-numpy"
COLUMNS = [
    "result",
    "params",
    "version",
    "started_at",
    "duration",
    "stats_ci_99_a",
    "stats_ci_99_b",
    "stats_q_25",
    "stats_q_75",
    "stats_number",
    "stats_repeat",
    "samples",
    "profile",
]
INTERVAL_METHODS = ("track_estimate", "track_low", "track_high")


def _r(v):
    return repr(v)


def _meta(name, params, param_names, unit="seconds"):
    return {
        "code": "def track_time(self): ...",
        "name": name,
        "param_names": param_names,
        "params": [[_r(v) for v in vals] for vals in params],
        "type": "track",
        "unit": unit,
        "version": "0" * 64,
    }


def _row(values, params, full=True):
    """One result row aligned with COLUMNS; ``full=False`` drops trailing columns like asv."""
    row = [values, [[_r(v) for v in vals] for vals in params], "0" * 64, 1700000000000, 1.5]
    if full:
        n = 1 if values is None else len(values)
        row += [[None] * n, [None] * n, [None] * n, [None] * n, [1] * n, [10] * n, None, None]
        row = row[:-2]  # asv pops trailing nulls (samples, profile)
    return row


def product(table, backends, ns):
    out = []
    for b in backends:
        vals = table.get(b)
        for i in range(len(ns)):
            out.append(None if vals is None else vals[i])
    return out


class Benchmarks:
    """The benchmarks of a synthetic run: benchmarks.json's entries and the result rows."""

    def __init__(self):
        self.meta, self.rows = {"version": 2}, {}

    def add(self, name, params, names, values, unit="seconds", full=True):
        self.meta[name] = _meta(name, params, names, unit)
        self.rows[name] = _row(values, params, full)

    def add_intervals(self, name, params, names, triples, methods=INTERVAL_METHODS, unit="x"):
        """``name.<method>`` for each of ``methods`` (estimate, low, high) from ``triples``
        ((estimate, low, high) or None, in itertools.product order of ``params``)."""
        for i, method in enumerate(methods):
            values = [NAN if t is None else t[i] for t in triples]
            self.add(f"{name}.{method}", params, names, values, unit=unit)


def write_machine(res):
    """``res/MACHINE/machine.json`` (the folder made)."""
    (res / MACHINE).mkdir(parents=True, exist_ok=True)
    (res / MACHINE / "machine.json").write_text(
        json.dumps(
            {
                "arch": "x86_64",
                "cpu": "Test CPU @ 3.00GHz",
                "machine": MACHINE,
                "num_cpu": "2",
                "os": "Linux 6.1",
                "ram": "25769803776",
                "version": 1,
            }
        )
    )


def write_run(res, commit, date, rows, factor=1.0):
    """One run file of ``rows`` (``Benchmarks.rows``), timings times ``factor``; its path."""
    results = {}
    for name, row in rows.items():
        row = json.loads(json.dumps(row))
        if factor != 1.0 and name.endswith(".track_time") and row[0] is not None:
            row[0] = [None if v is None else v * factor for v in row[0]]
        results[name] = row
    data = {
        "commit_hash": commit,
        "env_name": ENV,
        "date": date,
        "params": {"machine": MACHINE, "python": "3.11", "num_cpu": "2"},
        "python": "3.11",
        "requirements": {"numpy": ""},
        "env_vars": {},
        "result_columns": COLUMNS,
        "results": results,
        "durations": {"<build>": 1.0},
        "version": 2,
    }
    path = res / MACHINE / f"{commit[:8]}-{ENV}.json"
    # json.dumps writes NaN as the bare token NaN, exactly as asv does
    path.write_text(json.dumps(data))
    return path
