"""A synthetic asv results directory (asv 0.6's format) and helpers for the report tests.

``write_results`` writes benchmarks.json, machine.json and two runs (OLD_COMMIT,
10x slower, and NEW_COMMIT); the constants below are the values it writes, so
the tests can compute what the report must show.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from benchmarks.report.results import Run, find_runs, select_runs  # noqa: E402 (path above)
from benchmarks.report.series import collect, summarize  # noqa: E402

NAN = float("nan")
MACHINE = "testbox"
OLD_COMMIT = "0123456789abcdef0123456789abcdef01234567"
NEW_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
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
BACKENDS = ["numpy", "numba", "cython-openmp", "opencl", "multiprocessing", "mpi"]
DATA_BACKENDS = ["opencl", "multiprocessing", "mpi"]
MV_N = [16, 256, 4096]
SUM_N = [1000, 1000000]

# seconds per call, in the order of MV_N; None = failed (null), NAN = skipped
MV_SERIAL = [1e-5, 1e-4, 1e-2]
MV_RESIDENT = {
    "numpy": [1e-5, 1e-4, 1e-2],  # ties serial everywhere: crossover "never"
    "numba": [2e-5, 5e-5, 5e-3],  # speedups 0.5, 2, 2: crossover 256
    "cython-openmp": [5e-6, 5e-5, 5e-3],  # faster everywhere: crossover 16
    "opencl": [NAN, 4e-5, 4e-3],  # skipped at 16; speedup 2.5; crossover 256
    "multiprocessing": [1e-3, 1e-3, 2e-2],  # slower everywhere: "never"
    "mpi": [1e-3, None, 2.5e-3],  # failed at 256; speedup 4; crossover 4096
}
MV_E2E = {
    "opencl": [1e-3, 2e-3, 2e-2],
    "multiprocessing": None,  # whole benchmark failed: asv stores "result": null
    "mpi": [NAN, NAN, NAN],
}
SUM_SERIAL = [1e-6, 1e-3]
SUM_RESIDENT = {
    "numpy": [1e-6, 1e-3],
    "numba": [2e-6, 4e-4],  # speedup 2.5 at 1e6, loses at 1000: crossover 1000000
    "cython-openmp": [NAN, NAN],
    "opencl": [5e-5, 5e-4],
    "multiprocessing": [1e-4, 2e-3],
    "mpi": [3e-5, 9e-4],
}
ROOF_READ, ROOF_TRIAD = 30.0, 25.0
INFO = {
    "blas": "openblas 0.3.27 (1 thread)",
    "workers": "2",
    "mpi": "MPICH 5.0.2",
    "dtype": "float64",
}


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


def _product(table, backends, ns):
    out = []
    for b in backends:
        vals = table.get(b)
        for i in range(len(ns)):
            out.append(None if vals is None else vals[i])
    return out


def write_results(root, with_roof=True, with_info=True, info=None):
    """Write results/benchmarks.json, machine.json and two runs (old and new)."""
    res = root / "results"
    (res / MACHINE).mkdir(parents=True)
    benchmarks = {"version": 2}
    rows = {}

    def add(name, params, names, values, unit="seconds", full=True):
        benchmarks[name] = _meta(name, params, names, unit)
        rows[name] = _row(values, params, full)

    add(
        "suite.MatVec.track_time",
        [BACKENDS, MV_N],
        ["backend", "N"],
        _product(MV_RESIDENT, BACKENDS, MV_N),
    )
    e2e = _product(MV_E2E, DATA_BACKENDS, MV_N)
    # the "multiprocessing" rows are null inside a list here; VectorSumEndToEnd is the
    # whole-null case
    add("suite.MatVecEndToEnd.track_time", [DATA_BACKENDS, MV_N], ["backend", "N"], e2e, full=False)
    add("suite.MatVecSerial.track_time", [MV_N], ["N"], MV_SERIAL)
    add(
        "suite.VectorSum.track_time",
        [BACKENDS, SUM_N],
        ["backend", "N"],
        _product(SUM_RESIDENT, BACKENDS, SUM_N),
    )
    add("suite.VectorSumEndToEnd.track_time", [DATA_BACKENDS, SUM_N], ["backend", "N"], None)
    add("suite.VectorSumSerial.track_time", [SUM_N], ["N"], SUM_SERIAL)
    if with_roof:
        add("roof.MemoryRoof.track_read", [], [], [ROOF_READ], unit="GB/s")
        add("roof.MemoryRoof.track_triad", [], [], [ROOF_TRIAD], unit="GB/s")
    add(
        "roof.RoofFraction.track_percent",
        [["matvec", "sum"], ["numba", "mpi"]],
        ["kernel", "backend"],
        [88.0, NAN, 95.0, 101.0],
        unit="%",
    )
    # seed-mpi at 4096: 5e-3 s vs mpi resident 2.5e-3 s -> parbench 2x faster
    add(
        "seeds.SeedMatVec.track_time",
        [["seed-mpi", "seed-opencl"], [256, 4096]],
        ["variant", "N"],
        [1e-3, 5e-3, NAN, 8e-3],
    )
    add(
        "seeds.SeedRatio.track_ratio",
        [["matvec:seed-mpi", "sum:seed-numba"]],
        ["kernel:variant"],
        [0.9, NAN],
        unit="ratio",
    )
    if with_info:
        settings = json.dumps(INFO if info is None else info, sort_keys=True)
        add("runinfo.RunInfo.track_info", [[settings]], ["settings"], [2], unit="workers")

    (res / "benchmarks.json").write_text(json.dumps(benchmarks, indent=4, sort_keys=True))
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
    for commit, date, factor in (
        (OLD_COMMIT, 1700000000000, 10.0),
        (NEW_COMMIT, 1700000500000, 1.0),
    ):
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
        assert "NaN" in path.read_text()
    return res


def newest_run(res):
    """The Run of the newest commit in the results directory ``res``."""
    (header,) = select_runs(find_runs(str(res)))
    return Run(header, str(res))


def rows_by_key(run, kernel):
    """({(backend, mode): summary row}, missing) of ``kernel`` in ``run``."""
    rows, missing = summarize(run, collect(run, kernel))
    return {(r["backend"], r["mode"]): r for r in rows}, missing


def check_png(path):
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def check_svg(path):
    text = path.read_text()
    assert len(text) > 1000
    assert "<svg" in text


def run_python(*args, timeout=300):
    """``python *args`` in the repository root; the CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def load_script(name):
    """Import scripts/<name>.py (scripts/ is not a package) as module ``parbench_<name>``."""
    path = os.path.join(REPO, "scripts", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"parbench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: scripts/site_browser.py: headless Chromium with no network (run_chromium, dump_dom, ...)
site_browser = load_script("site_browser")
needs_chromium = pytest.mark.skipif(
    site_browser.find_chromium() is None,
    reason="chromium not installed (as root: apt-get install -y chromium)",
)
