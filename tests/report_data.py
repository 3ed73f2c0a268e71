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
from benchmarks.report.settings import encode  # noqa: E402

from .asv_writer import (  # noqa: E402
    MACHINE,  # noqa: F401 (the tests import it from here)
    NAN,
    Benchmarks,
    product,
    write_machine,
    write_run,
)

OLD_COMMIT = "0123456789abcdef0123456789abcdef01234567"
NEW_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
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


#: the paired figures of ``write_results(paired=True)``: (estimate, low, high), None = NaN
#: (not measured); resident speedups in the order of MV_N
PAIRED_MV = {
    "numpy": [(1.0, 0.9, 1.1), (1.0, 0.95, 1.05), (1.05, 0.98, 1.12)],  # contains 1: never
    "numba": [(0.5, 0.45, 0.55), (2.0, 1.8, 2.2), (2.0, 1.9, 2.1)],  # crossover 256
    "cython-openmp": [(2.0, 1.8, 2.2), (2.1, 1.9, 2.3), (2.5, 2.3, 2.7)],  # crossover 16
    "opencl": [None, (2.5, 2.0, 3.0), (2.4, 2.2, 2.6)],  # skipped at 16: crossover 256
    "multiprocessing": [(0.01, 0.008, 0.012), (0.1, 0.09, 0.11), (0.5, 0.4, 0.6)],  # never
    "mpi": [(0.02, 0.018, 0.022), (1.2, 0.9, 1.5), (4.0, 3.5, 4.5)],  # crossover 4096
}
#: fastest at each N of MV_N (resident): winner, tied
PAIRED_MV_FASTEST = [
    (16, "cython-openmp", []),
    (256, "opencl", ["cython-openmp", "numba"]),
    (4096, "mpi", []),
]
PAIRED_MV_E2E = {
    "opencl": [(0.01, 0.009, 0.011), (0.05, 0.045, 0.055), (0.5, 0.45, 0.55)],
    "multiprocessing": [None, (0.01, 0.009, 0.011), (0.1, 0.08, 0.12)],
    "mpi": [(0.001, 0.0009, 0.0011), (0.02, 0.018, 0.022), (1.5, 1.2, 1.8)],
}
PAIRED_MV_COST = {
    "opencl": [(100.0, 90.0, 110.0), (50.0, 45.0, 55.0), (4.8, 4.5, 5.1)],
    "multiprocessing": [None, (10.0, 9.0, 11.0), (5.0, 4.0, 6.0)],
    "mpi": [(20.0, 18.0, 22.0), (60.0, 50.0, 70.0), (2.67, 2.5, 2.8)],
}
PAIRED_SUM = {
    "numpy": [(1.0, 0.9, 1.1), (1.0, 0.97, 1.03)],
    "numba": [(0.5, 0.4, 0.6), (2.5, 2.2, 2.8)],  # crossover 1000000
    "cython-openmp": [None, None],
    "opencl": [(0.02, 0.01, 0.03), (2.0, 1.5, 2.6)],  # tied with numba at 1000000
    "multiprocessing": [(0.01, 0.009, 0.011), (0.5, 0.45, 0.55)],
    "mpi": [(0.03, 0.027, 0.033), (1.1, 1.0, 1.2)],
}
PAIRED_SUM_FASTEST = [(1000, "numpy", []), (1000000, "numba", ["opencl"])]
PAIRED_SUM_E2E = {
    "opencl": [(0.01, 0.009, 0.011), (0.4, 0.35, 0.45)],
    "multiprocessing": [None, None],
    "mpi": [(0.01, 0.009, 0.011), (0.5, 0.45, 0.55)],
}
PAIRED_SUM_COST = {"opencl": [(2.0, 1.8, 2.2), (5.0, 4.5, 5.5)], "multiprocessing": [None, None]}
PAIRED_SUM_COST["mpi"] = [(3.0, 2.7, 3.3), (2.2, 2.0, 2.4)]
#: end-to-end / (host copy + resident) at the largest N, per data backend (None: skipped)
PAIRED_MV_BOUND = [(1.3, 1.2, 1.4), None, (1.1, 1.0, 1.2)]
PAIRED_SUM_BOUND = [(0.9, 0.8, 1.0), None, (1.6, 1.5, 1.7)]
#: every paired time: the estimate's +-5%; a backend's: serial time / its speedup estimate
TIME_SPREAD = 0.05
#: RoofFraction (kernel x backend) and SeedRatio: estimate, low, high
ROOF_PAIRED = {
    ("matvec", "numba"): (88.0, 84.0, 92.0),
    ("sum", "numba"): (95.0, 90.0, 100.0),
    ("sum", "mpi"): (101.0, 97.0, 105.0),
}
SEED_PAIRED = (0.9, 0.8, 1.0)  # matvec:seed-mpi
PAIRED_SETTING = "3 processes x 4 rounds, 95% t interval over processes"
ROOF_METHODS = ("track_percent", "track_percent_low", "track_percent_high")
SEED_METHODS = ("track_ratio", "track_ratio_low", "track_ratio_high")
#: the two runs of ``write_compare_runs`` (A = OLD_COMMIT, B = NEW_COMMIT): MatVecSpeedup
#: (mode, backend, N), RoofFraction matvec/numba, SeedRatio matvec:seed-mpi (only in A)
COMPARE_A = {
    ("resident", "numba", 16): (1.0, 0.9, 1.1),
    ("resident", "numba", 256): (2.0, 1.8, 2.2),
    ("resident", "mpi", 16): (0.5, 0.4, 0.6),
    ("resident", "mpi", 256): (3.0, 2.8, 3.2),
    "roof": (88.0, 84.0, 92.0),
    "seed": (0.9, 0.8, 1.0),
}
COMPARE_B = {
    ("resident", "numba", 16): (1.2, 1.1, 1.3),  # touches A's at 1.1: overlaps
    ("resident", "numba", 256): (2.3, 2.15, 2.5),  # overlaps
    ("resident", "mpi", 16): (0.55, 0.45, 0.65),  # overlaps
    ("resident", "mpi", 256): (2.0, 1.9, 2.1),  # apart: 3 of 4 speedups overlap
    "roof": (90.0, 86.0, 94.0),  # overlaps: 4 of 5 in all
    "seed": None,
}


def _spread(t):
    return (t, t * (1 - TIME_SPREAD), t * (1 + TIME_SPREAD))


def paired_times(kernel):
    """{(mode, backend): [(estimate, low, high) or None per N]} of the paired times."""
    serial, resident, e2e = (
        (MV_SERIAL, PAIRED_MV, PAIRED_MV_E2E)
        if kernel == "matvec"
        else (SUM_SERIAL, PAIRED_SUM, PAIRED_SUM_E2E)
    )
    out = {("serial", "numpy"): [_spread(t) for t in serial]}
    for mode, table in (("resident", resident), ("end-to-end", e2e)):
        for b, values in table.items():
            out[(mode, b)] = [
                None if v is None else _spread(t / v[0]) for t, v in zip(serial, values)
            ]
    return out


def _grid(table, modes, ns):
    """{(mode, backend): [value per N]} as a (mode, backend, N) product's values (None absent)."""
    return [
        table.get((m, b), [None] * len(ns))[i]
        for m in modes
        for b in BACKENDS
        for i in range(len(ns))
    ]


def _add_paired(bench):
    """The paired benchmarks of benchmarks.paired (speedup, time, end-to-end cost, copy bound)."""
    modes, names = ["resident", "end-to-end"], ["mode", "backend", "N"]
    for cls, ns, resident, e2e, cost, bound, kernel in (
        ("MatVec", MV_N, PAIRED_MV, PAIRED_MV_E2E, PAIRED_MV_COST, PAIRED_MV_BOUND, "matvec"),
        ("VectorSum", SUM_N, PAIRED_SUM, PAIRED_SUM_E2E, PAIRED_SUM_COST, PAIRED_SUM_BOUND, "sum"),
    ):
        speedups = {("resident", b): v for b, v in resident.items()}
        speedups.update({("end-to-end", b): v for b, v in e2e.items()})
        triples = _grid(speedups, modes, ns)
        bench.add_intervals(f"paired.{cls}Speedup", [modes, BACKENDS, ns], names, triples)
        modes3 = ["serial", *modes]
        triples = _grid(paired_times(kernel), modes3, ns)
        bench.add_intervals(
            f"paired.{cls}Time", [modes3, BACKENDS, ns], names, triples, unit="seconds"
        )
        triples = product(cost, DATA_BACKENDS, ns)
        bench.add_intervals(
            f"paired.{cls}EndToEndCost", [DATA_BACKENDS, ns], ["backend", "N"], triples
        )
        bench.add_intervals(f"paired.{cls}CopyBound", [DATA_BACKENDS], ["backend"], bound)


def _add_common(bench, with_roof, paired):
    bench.add(
        "suite.MatVec.track_time",
        [BACKENDS, MV_N],
        ["backend", "N"],
        product(MV_RESIDENT, BACKENDS, MV_N),
    )
    e2e = product(MV_E2E, DATA_BACKENDS, MV_N)
    # the "multiprocessing" rows are null inside a list here; VectorSumEndToEnd is the
    # whole-null case
    bench.add(
        "suite.MatVecEndToEnd.track_time", [DATA_BACKENDS, MV_N], ["backend", "N"], e2e, full=False
    )
    bench.add("suite.MatVecSerial.track_time", [MV_N], ["N"], MV_SERIAL)
    bench.add(
        "suite.VectorSum.track_time",
        [BACKENDS, SUM_N],
        ["backend", "N"],
        product(SUM_RESIDENT, BACKENDS, SUM_N),
    )
    bench.add("suite.VectorSumEndToEnd.track_time", [DATA_BACKENDS, SUM_N], ["backend", "N"], None)
    bench.add("suite.VectorSumSerial.track_time", [SUM_N], ["N"], SUM_SERIAL)
    if with_roof:
        bench.add("roof.MemoryRoof.track_read", [], [], [ROOF_READ], unit="GB/s")
        bench.add("roof.MemoryRoof.track_triad", [], [], [ROOF_TRIAD], unit="GB/s")
    roof = [["matvec", "sum"], ["numba", "mpi"]]
    triples = [ROOF_PAIRED.get((k, b)) for k in roof[0] for b in roof[1]]
    methods = ("track_percent", "track_percent_low", "track_percent_high")
    bench.add_intervals(
        "roof.RoofFraction",
        roof,
        ["kernel", "backend"],
        triples,
        methods[: 3 if paired else 1],
        "%",
    )
    # seed-mpi at 4096: 5e-3 s vs mpi resident 2.5e-3 s -> parbench 2x faster
    bench.add(
        "seeds.SeedMatVec.track_time",
        [["seed-mpi", "seed-opencl"], [256, 4096]],
        ["variant", "N"],
        [1e-3, 5e-3, NAN, 8e-3],
    )
    bench.add_intervals(
        "seeds.SeedRatio",
        [["matvec:seed-mpi", "sum:seed-numba"]],
        ["kernel:variant"],
        [SEED_PAIRED, None],
        SEED_METHODS[: 3 if paired else 1],
        "ratio",
    )


def write_results(root, with_roof=True, with_info=True, info=None, paired=False):
    """Write results/benchmarks.json, machine.json and two runs (old and new).

    ``paired``: with the paired benchmarks (PAIRED_*; RoofFraction's and SeedRatio's
    bounds) and RunInfo in the "key: value" lines form with a ``paired`` setting.
    """
    res = root / "results"
    write_machine(res)
    bench = Benchmarks()
    _add_common(bench, with_roof, paired)
    if paired:
        _add_paired(bench)
    if with_info:
        settings = dict(INFO if info is None else info)
        if paired:
            settings["paired"] = PAIRED_SETTING
            values = encode(settings)
        else:
            values = [json.dumps(settings, sort_keys=True)]
        bench.add(
            "runinfo.RunInfo.track_info", [values], ["settings"], [2] * len(values), "workers"
        )
    (res / "benchmarks.json").write_text(json.dumps(bench.meta, indent=4, sort_keys=True))
    for commit, date, factor in (
        (OLD_COMMIT, 1700000000000, 10.0),
        (NEW_COMMIT, 1700000500000, 1.0),
    ):
        path = write_run(res, commit, date, bench.rows, factor)
        assert "NaN" in path.read_text()
    return res


def write_compare_runs(root):
    """Two runs (A = OLD_COMMIT, B = NEW_COMMIT) of COMPARE_A and COMPARE_B: (results
    directory, [A's file, B's file])."""
    res = root / "results"
    write_machine(res)
    meta, paths = {}, []
    for commit, date, values in (
        (OLD_COMMIT, 1700000000000, COMPARE_A),
        (NEW_COMMIT, 1700000500000, COMPARE_B),
    ):
        bench = Benchmarks()
        params = [["resident"], ["numba", "mpi"], [16, 256]]
        triples = [values.get((m, b, n)) for m in params[0] for b in params[1] for n in params[2]]
        bench.add_intervals("paired.MatVecSpeedup", params, ["mode", "backend", "N"], triples)
        kb = [["matvec"], ["numba"]]
        bench.add_intervals(
            "roof.RoofFraction", kb, ["kernel", "backend"], [values["roof"]], ROOF_METHODS, "%"
        )
        case = [["matvec:seed-mpi"]]
        bench.add_intervals(
            "seeds.SeedRatio", case, ["kernel:variant"], [values["seed"]], SEED_METHODS, "ratio"
        )
        meta.update(bench.meta)
        paths.append(write_run(res, commit, date, bench.rows))
    (res / "benchmarks.json").write_text(json.dumps(meta, indent=4, sort_keys=True))
    return res, paths


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


#: the machine state of a run of ``write_state_runs``: roofs (GB/s), the paired serial
#: numpy sum time at SUM_N[-1] (8e6 bytes: 8 GB/s [7.62, 8.42]) and RunInfo's settings
STATE = {
    "read": 30.0,
    "triad": 25.0,
    "sum serial": (1e-3, 0.95e-3, 1.05e-3),
    "info": {
        "workers": "2",
        "affinity": "0-1",
        "load": "load average before the run: 0.20 0.30 0.40",
        "machine_name": "test-f6m85s7-2c-l3_32m-24g-abcdef",
        "dtype": "float64",
    },
}


def state(**changes):
    """STATE with ``changes`` (keyword "info" updates the settings, the others replace)."""
    out = {**STATE, "info": dict(STATE["info"])}
    out["info"].update(changes.pop("info", {}))
    out.update(changes)
    return out


def _add_state(res, path, values):
    """Add ``values`` (a STATE-like dict) to the run file ``path`` and to benchmarks.json."""
    bench = Benchmarks()
    bench.add("roof.MemoryRoof.track_read", [], [], [values["read"]], unit="GB/s")
    bench.add("roof.MemoryRoof.track_triad", [], [], [values["triad"]], unit="GB/s")
    params = [["serial"], ["numpy"], SUM_N]
    triples = [None, values["sum serial"]]
    names = ["mode", "backend", "N"]
    bench.add_intervals("paired.VectorSumTimeSerial", params, names, triples, unit="seconds")
    lines = encode(values["info"])
    bench.add("runinfo.RunInfo.track_info", [lines], ["settings"], [2] * len(lines), "workers")
    data = json.loads(path.read_text())
    data["results"].update(bench.rows)
    path.write_text(json.dumps(data))
    meta = json.loads((res / "benchmarks.json").read_text())
    meta.update(bench.meta)
    (res / "benchmarks.json").write_text(json.dumps(meta, indent=4, sort_keys=True))


def write_state_runs(root, state_a=None, state_b=None):
    """``write_compare_runs`` with each run's machine state (STATE unless given): the
    roofs, the paired serial sum time and RunInfo.  (results directory, [A's, B's file])."""
    res, paths = write_compare_runs(root)
    for path, values in zip(paths, (state_a or STATE, state_b or STATE)):
        _add_state(res, path, values)
    return res, paths
