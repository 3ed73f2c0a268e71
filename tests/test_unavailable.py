"""A backend that cannot run here reports itself unavailable, with the reason, everywhere.

The generic part: the registry (a backend module that cannot be imported),
``python -m kernels`` listing every backend as available or UNAVAILABLE with
the reason, the tests skipping with the reason, asv recording a skip (NaN, not
a failure) with the reason in its log, and the plots listing it as missing.
OpenCL and MPI are hidden in child processes through the environment
(``helpers.HIDE_OPENCL``, ``helpers.HIDE_MPI``).

What makes one backend unavailable (its platform, device, library, program or
extension), and the message ``open()`` raises then, is tested in that backend's
file: tests/test_opencl.py, test_mpi.py, test_numba.py, test_cython_openmp.py,
test_multiprocessing.py.
"""

import ast
import importlib
import json
import math
import os
import re
import subprocess
import sys

import pytest

import kernels
from benchmarks.report import settings as settings_lines
from kernels import BACKENDS, BackendUnavailable, backend_class, get_backend

from .helpers import (
    HIDE_MPI,
    HIDE_OPENCL,
    ROOT,
    asv_project,
    asv_run_args,
    plot_results,
    processes_tagged,
    result_rows,
)

pytestmark = pytest.mark.timeout(60)


# ------------------------------------------------------------- the registry


def test_backend_module_that_cannot_be_imported(monkeypatch):
    importlib.import_module("kernels.opencl")  # the package, whose backend module is hidden
    monkeypatch.setitem(sys.modules, "kernels.opencl.backend", None)
    monkeypatch.delattr(kernels.opencl, "backend", raising=False)
    with pytest.raises(BackendUnavailable, match=r"backend 'opencl' cannot be imported"):
        backend_class("opencl")
    with pytest.raises(BackendUnavailable, match=r"backend 'opencl' cannot be imported"):
        get_backend("opencl")


# --------------------------------------- python -m kernels, pytest skips


def test_cli_table_lists_every_backend_with_the_reason():
    """`python -m kernels` with OpenCL's device and MPI's library hidden."""
    done = subprocess.run(
        [sys.executable, "-m", "kernels"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **HIDE_OPENCL, **HIDE_MPI},
    )
    lines = {ln.split()[0]: ln for ln in done.stdout.splitlines() if ln.strip()}
    assert set(BACKENDS) <= set(lines), done.stdout + done.stderr
    assert done.returncode == 1  # not all available
    assert re.search(r"^opencl +UNAVAILABLE +.*(has no device|cannot be imported)", lines["opencl"])
    assert re.search(
        r"^mpi +UNAVAILABLE +mpi backend needs mpi4py and an MPI library", lines["mpi"]
    )
    # the others: available, with versions and thread settings
    assert re.search(r"^numpy +available +workers=\d+, dtype=float64, blas=", lines["numpy"])
    for name in ("numba", "cython-openmp", "multiprocessing"):
        assert re.search(rf"^{re.escape(name)} +(available +workers=|UNAVAILABLE +\S)", lines[name])


@pytest.mark.timeout(120)
def test_tests_skip_with_the_reason():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/test_kernels.py::test_sum_resident_and_end_to_end[opencl-float64-1000]",
            "tests/test_kernels.py::test_sum_resident_and_end_to_end[mpi-float64-1000]",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, **HIDE_OPENCL, **HIDE_MPI},
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert re.search(
        r"SKIPPED .*opencl unavailable here: .*(has no device|cannot be imported)", out
    )
    assert re.search(
        r"SKIPPED .*mpi unavailable here: mpi backend needs mpi4py and an MPI library", out
    )
    assert " passed" not in out.splitlines()[-1]  # nothing ran, nothing failed


# ----------------------------------------------------- asv and the plots


@pytest.fixture(scope="module")
def skipping_run(tmp_path_factory):
    """A quick asv run with OpenCL and MPI hidden and a memory limit only N=16 matvec fits."""
    tmp_path = tmp_path_factory.mktemp("skips")
    env, tag, results = asv_project(
        tmp_path,
        PARBENCH_BACKENDS="numpy,opencl,mpi",
        PARBENCH_MEMORY_LIMIT="1MB",
        **HIDE_OPENCL,
        **HIDE_MPI,
    )
    r = subprocess.run(
        asv_run_args("--bench", r"^(suite|runinfo)\."),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=200,
    )
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-4000:]
    return tmp_path, log, tag, results, result_rows(results)


@pytest.mark.timeout(240)
def test_asv_records_skips_with_reasons(skipping_run):
    """Every skip is NaN with its reason in asv's log; nothing failed; no process left."""
    _, log, tag, _, rows = skipping_run

    def value(bench, backend, n):
        sizes = {"MatVec": [16, 256], "VectorSum": [16, 4096]}[bench.replace("EndToEnd", "")]
        backends = ["numpy", "opencl", "mpi"] if "EndToEnd" not in bench else ["opencl", "mpi"]
        return rows[f"suite.{bench}.track_time"][backends.index(backend) * 2 + sizes.index(n)]

    # nothing failed (null); every skip is NaN
    for name, values in rows.items():
        assert values is not None and None not in values, (name, values)
    for bench in ("MatVec", "MatVecEndToEnd"):
        for backend in ("opencl", "mpi"):
            for n in (16, 256):
                assert math.isnan(value(bench, backend, n)), (bench, backend, n)
    assert value("MatVec", "numpy", 16) > 0
    assert math.isnan(value("MatVec", "numpy", 256))  # 1.6 MB > 1 MB: skipped
    assert value("VectorSum", "numpy", 4096) > 0
    assert math.isnan(value("VectorSum", "mpi", 4096))
    # the reasons are in asv's log (--show-stderr)
    assert re.search(
        r"parbench: skipped matvec opencl N=16: BackendUnavailable: .*(has no device"
        r"|cannot be imported)",
        log,
    )
    assert re.search(
        r"parbench: skipped sum mpi N=4096: BackendUnavailable: mpi backend needs"
        r" mpi4py and an MPI library",
        log,
    )
    assert re.search(
        r"parbench: skipped matvec numpy N=256: InsufficientMemory: does not fit in"
        r" memory: .* but 1 MB allowed \(PARBENCH_MEMORY_LIMIT=1MB\)",
        log,
    )
    assert "asv: skipped: NotImplementedError" in log
    assert not processes_tagged(tag)


@pytest.mark.timeout(240)
def test_plots_list_the_skips_and_settings_carry_the_reasons(skipping_run):
    tmp_path, _, _, results, _ = skipping_run
    # the plots leave the skipped entries out (never zero) and list them
    status, text = plot_results(results, tmp_path / "plots")
    assert status == 0, text
    summary = (tmp_path / "plots" / "ci" / "summary.md").read_text()
    assert "`skipped or failed: opencl matvec 16 (resident, skipped)`" in summary
    assert "`skipped or failed: mpi sum 4096 (end-to-end, skipped)`" in summary
    assert "`skipped or failed: numpy matvec 256 (resident, skipped)`" in summary
    for line in summary.splitlines():
        if line.startswith("| matvec | opencl |") or line.startswith("| sum | mpi |"):
            assert re.fullmatch(
                r"\| \w+ \| \w+ \| [\w-]+ \| - \| - \| - \| - \| - \| - \| - \| - \|", line
            ), line
    # the run's settings, printed in the figure captions, carry the reasons
    data = json.loads(
        next(f for f in (results / "ci").glob("*.json") if f.name != "machine.json").read_text()
    )
    row = data["results"]["runinfo.RunInfo.track_info"]
    lines = [ast.literal_eval(v) for v in row[data["result_columns"].index("params")][0]]
    settings = settings_lines.decode(lines)
    assert settings["mpi"].startswith("unavailable: mpi backend needs mpi4py and an MPI library")
    assert settings["opencl"].startswith("unavailable: ")
