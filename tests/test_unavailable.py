"""A backend that cannot run here reports itself unavailable, with the reason, everywhere.

Each test hides what a backend needs (its platform, device, library, program or
extension) and checks the consequence: ``open()`` raises BackendUnavailable
naming the reason, ``python -m kernels`` lists it as UNAVAILABLE with the
reason, the tests skip with the reason, asv records a skip (NaN, not a
failure) with the reason in its log, and the plots list it as missing.

Hiding is done in-process with monkeypatch where the backend checks at
``open()``, and in a child process through the environment where it is
process-wide state: ``POCL_DEVICES=none`` (PoCL exposes no device),
``PYOPENCL_CTX`` naming no device, ``MPI4PY_LIBMPI`` pointing at no library.
"""
import ast
import errno
import json
import math
import os
import re
import subprocess
import sys
import types

import numpy as np
import pytest

import kernels
from kernels import BACKENDS, BackendUnavailable, backend_class, get_backend

from .test_faults import (ROOT, asv_project, asv_run_args, plot_results, processes_tagged,
                          result_rows)

pytestmark = pytest.mark.timeout(60)

HIDE_OPENCL = {"POCL_DEVICES": "none"}
HIDE_MPI = {"MPI4PY_LIBMPI": "/nonexistent/libmpi.so.12"}


def _unavailable(name, workers=2, dtype="float64"):
    """The BackendUnavailable message of opening ``name``; fails if it opens."""
    be = get_backend(name, workers=workers, dtype=dtype)
    with pytest.raises(BackendUnavailable) as info:
        be.open()
    assert not be.is_open
    be.close()                      # safe after a failed open
    return str(info.value)


def _python(code, env_extra, timeout=60):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


OPEN_IN_CHILD = """
from kernels import BackendUnavailable, get_backend
try:
    get_backend({name!r}, workers=2).open().close()
    print("OPENED")
except BackendUnavailable as exc:
    print("UNAVAILABLE", exc)
"""


# ------------------------------------------------------------------- opencl

def test_opencl_without_platform(monkeypatch):
    cl = pytest.importorskip("pyopencl")
    monkeypatch.delenv("PYOPENCL_CTX", raising=False)
    monkeypatch.setattr(cl, "get_platforms", lambda: [])
    assert _unavailable("opencl") == "no OpenCL platform found"


def test_opencl_without_icd(monkeypatch):
    """What the ICD loader reports when no driver is installed at all."""
    cl = pytest.importorskip("pyopencl")
    monkeypatch.delenv("PYOPENCL_CTX", raising=False)

    def no_icd():
        raise cl.LogicError(cl._cl._ErrorRecord("clGetPlatformIDs",
                                                cl.status_code.PLATFORM_NOT_FOUND_KHR, ""))
    monkeypatch.setattr(cl, "get_platforms", no_icd)
    assert re.search(r"no usable OpenCL device: .*PLATFORM_NOT_FOUND_KHR", _unavailable("opencl"))


def test_opencl_device_without_fp64(monkeypatch):
    pytest.importorskip("pyopencl")
    from kernels.opencl import backend as opencl_backend

    real_pick = opencl_backend.pick_device

    class NoFP64:
        """The real device, minus the cl_khr_fp64 extension."""

        def __init__(self, dev):
            self._dev = dev
            self.extensions = dev.extensions.replace("cl_khr_fp64", "")
            self.name = dev.name

        def __getattr__(self, attr):
            return getattr(self._dev, attr)

    monkeypatch.setattr(opencl_backend, "pick_device", lambda cl, w: NoFP64(real_pick(cl, w)))
    try:
        real_pick(__import__("pyopencl"), 2)
    except BackendUnavailable as exc:
        pytest.skip(f"opencl unavailable here: {exc}")
    assert re.fullmatch(r"device '.+' has no cl_khr_fp64", _unavailable("opencl"))


def test_opencl_without_pyopencl(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)
    assert _unavailable("opencl").startswith("pyopencl cannot be imported")


def test_opencl_platform_hidden_in_a_child_process():
    done = _python(OPEN_IN_CHILD.format(name="opencl"), HIDE_OPENCL)
    assert "UNAVAILABLE OpenCL platform 'Portable Computing Language' has no device" in done.stdout \
        or "UNAVAILABLE pyopencl cannot be imported" in done.stdout, done.stdout + done.stderr


def test_opencl_ctx_naming_no_device():
    done = _python(OPEN_IN_CHILD.format(name="opencl"), {"PYOPENCL_CTX": "0:7"})
    assert re.search(r"UNAVAILABLE (no usable OpenCL device: .*device|pyopencl cannot)",
                     done.stdout), done.stdout + done.stderr


# ---------------------------------------------------------------------- mpi

def test_mpi_library_hidden_in_a_child_process():
    done = _python(OPEN_IN_CHILD.format(name="mpi"), HIDE_MPI)
    assert re.search(r"UNAVAILABLE mpi backend needs mpi4py and an MPI library: (cannot load MPI"
                     r" library|.*mpi4py)", done.stdout), done.stdout + done.stderr


def test_mpi_without_mpi4py(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    assert _unavailable("mpi").startswith("mpi backend needs mpi4py and an MPI library")


def test_mpi_without_mpiexec(monkeypatch):
    pytest.importorskip("mpi4py.MPI")
    from kernels.mpi import spawn as mpi_spawn

    monkeypatch.setattr(mpi_spawn, "mpiexec_dir", lambda: None)
    assert "no 'mpiexec' beside Python or on PATH" in _unavailable("mpi", workers=2)
    # one worker spawns nothing, so it needs no mpiexec
    with get_backend("mpi", workers=1) as be:
        assert be.vector_sum(np.ones(3)) == 3.0


def test_mpi_worker_program_cannot_start(monkeypatch, tmp_path):
    """The rank program fails before MPI_Init: refused up front, not a hung Spawn."""
    pytest.importorskip("mpi4py.MPI")
    from kernels.mpi import spawn as mpi_spawn

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'numpy'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(mpi_spawn, "_checked", set())
    monkeypatch.setattr(mpi_spawn, "sys", types.SimpleNamespace(executable=str(fake)))
    msg = _unavailable("mpi", workers=2)
    assert "the worker program kernels.mpi.rank cannot start" in msg and "No module named 'numpy'" in msg


# ------------------------------------------------- cython, numba, multiprocessing

def test_cython_extension_not_built(monkeypatch):
    monkeypatch.setitem(sys.modules, "kernels.compiled.openmp_loops", None)
    monkeypatch.delattr(kernels.compiled, "openmp_loops", raising=False)
    msg = _unavailable("cython-openmp")
    assert "the Cython+OpenMP extension kernels.compiled.openmp_loops is not built" in msg
    assert "build_ext --inplace" in msg


def test_numba_missing(monkeypatch):
    from kernels.numba import backend as numba_backend

    monkeypatch.setattr(numba_backend, "_compiled", None)
    monkeypatch.setitem(sys.modules, "numba", None)
    assert _unavailable("numba").startswith("numba cannot be imported")


def test_numba_more_workers_than_its_threads():
    numba = pytest.importorskip("numba")
    n = numba.config.NUMBA_NUM_THREADS
    assert f"NUMBA_NUM_THREADS={n} < workers={n + 1}" in _unavailable("numba", workers=n + 1)


def test_multiprocessing_without_shared_memory(monkeypatch):
    from kernels.multiprocessing import backend as mpb

    def no_shm(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/dev/shm")
    monkeypatch.setattr(mpb.shared_memory, "SharedMemory", no_shm)
    before = {p.pid for p in __import__("psutil").Process().children()}
    msg = _unavailable("multiprocessing", workers=2)
    assert msg.startswith("cannot start the multiprocessing pool") and "No space left" in msg
    started = {p.pid for p in __import__("psutil").Process().children()} - before
    assert not started


def test_backend_module_that_cannot_be_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "kernels.opencl.backend", None)
    monkeypatch.delattr(kernels.opencl, "backend", raising=False)
    with pytest.raises(BackendUnavailable, match=r"backend 'opencl' cannot be imported"):
        backend_class("opencl")
    with pytest.raises(BackendUnavailable, match=r"backend 'opencl' cannot be imported"):
        get_backend("opencl")


# --------------------------------------- python -m kernels, pytest skips

def test_cli_table_lists_every_backend_with_the_reason():
    """`python -m kernels` with OpenCL's device and MPI's library hidden."""
    done = subprocess.run([sys.executable, "-m", "kernels"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **HIDE_OPENCL, **HIDE_MPI})
    lines = {ln.split()[0]: ln for ln in done.stdout.splitlines() if ln.strip()}
    assert set(BACKENDS) <= set(lines), done.stdout + done.stderr
    assert done.returncode == 1                              # not all available
    assert re.search(r"^opencl +UNAVAILABLE +.*(has no device|cannot be imported)", lines["opencl"])
    assert re.search(r"^mpi +UNAVAILABLE +mpi backend needs mpi4py and an MPI library",
                     lines["mpi"])
    # the others: available, with versions and thread settings
    assert re.search(r"^numpy +available +workers=\d+, dtype=float64, blas=", lines["numpy"])
    for name in ("numba", "cython-openmp", "multiprocessing"):
        assert re.search(rf"^{re.escape(name)} +(available +workers=|UNAVAILABLE +\S)", lines[name])


def test_cli_table_without_the_cython_extension():
    code = ("import sys, runpy; sys.modules['kernels.compiled.openmp_loops'] = None;"
            " sys.argv = ['kernels', '--workers', '1']; runpy.run_module('kernels', run_name='__main__')")
    done = _python(code, {})
    assert re.search(r"^cython-openmp +UNAVAILABLE +the Cython\+OpenMP extension kernels\.compiled\.openmp_loops"
                     r" is not built", done.stdout, re.M), done.stdout + done.stderr
    assert done.returncode == 1


@pytest.mark.timeout(120)
def test_tests_skip_with_the_reason():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/test_kernels.py::test_sum_resident_and_end_to_end[opencl-float64-1000]",
         "tests/test_kernels.py::test_sum_resident_and_end_to_end[mpi-float64-1000]"],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
        env={**os.environ, **HIDE_OPENCL, **HIDE_MPI})
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert re.search(r"SKIPPED .*opencl unavailable here: .*(has no device|cannot be imported)", out)
    assert re.search(r"SKIPPED .*mpi unavailable here: mpi backend needs mpi4py and an MPI library",
                     out)
    assert " passed" not in out.splitlines()[-1]               # nothing ran, nothing failed


# ----------------------------------------------------- asv and the plots

@pytest.mark.timeout(240)
def test_asv_records_skips_with_reasons_and_plots_list_them(tmp_path):
    """OpenCL and MPI hidden, and a memory limit that only N=16 matvec fits under."""
    env, tag, results = asv_project(
        tmp_path, PARBENCH_BACKENDS="numpy,opencl,mpi", PARBENCH_MEMORY_LIMIT="1MB",
        **HIDE_OPENCL, **HIDE_MPI)
    r = subprocess.run(asv_run_args("--bench", r"^(suite|runinfo)\."), env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=200)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-4000:]
    rows = result_rows(results)

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
    assert math.isnan(value("MatVec", "numpy", 256))      # 1.6 MB > 1 MB: skipped
    assert value("VectorSum", "numpy", 4096) > 0
    assert math.isnan(value("VectorSum", "mpi", 4096))
    # the reasons are in asv's log (--show-stderr)
    assert re.search(r"parbench: skipped matvec opencl N=16: BackendUnavailable: .*(has no device"
                     r"|cannot be imported)", log)
    assert re.search(r"parbench: skipped sum mpi N=4096: BackendUnavailable: mpi backend needs"
                     r" mpi4py and an MPI library", log)
    assert re.search(r"parbench: skipped matvec numpy N=256: InsufficientMemory: does not fit in"
                     r" memory: .* but 1 MB allowed \(PARBENCH_MEMORY_LIMIT=1MB\)", log)
    assert "asv: skipped: NotImplementedError" in log
    assert not processes_tagged(tag)

    # the plots leave the skipped entries out (never zero) and list them
    status, text = plot_results(results, tmp_path / "plots")
    assert status == 0, text
    summary = (tmp_path / "plots" / "ci" / "summary.md").read_text()
    assert "`skipped or failed: opencl matvec 16 (resident, skipped)`" in summary
    assert "`skipped or failed: mpi sum 4096 (end-to-end, skipped)`" in summary
    assert "`skipped or failed: numpy matvec 256 (resident, skipped)`" in summary
    for line in summary.splitlines():
        if line.startswith("| matvec | opencl |") or line.startswith("| sum | mpi |"):
            assert re.fullmatch(r"\| \w+ \| \w+ \| [\w-]+ \| - \| - \| - \| - \| - \| - \| - \| - \|",
                                line), line
    # the run's settings, printed in the figure captions, carry the reasons
    data = json.loads(next(f for f in (results / "ci").glob("*.json")
                           if f.name != "machine.json").read_text())
    row = data["results"]["runinfo.RunInfo.track_info"]
    settings = json.loads(ast.literal_eval(row[data["result_columns"].index("params")][0][0]))
    assert settings["mpi"].startswith("unavailable: mpi backend needs mpi4py and an MPI library")
    assert settings["opencl"].startswith("unavailable: ")
