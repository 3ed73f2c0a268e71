"""Helpers shared by several test files (fixtures are in conftest.py).

* Sizes: ``SIZES`` (the correctness checks); ``SWITCH_SUM_N`` and
  ``SWITCH_MATVEC_N``, either side of the serial switches, and
  ``check_switch_sizes_straddle``.
* Opening: ``open_or_skip`` (a backend or seed variant, or skip with the reason),
  ``unavailable`` (the BackendUnavailable message of a backend that must not open).
* Child processes: ``run_python_code`` (``python -c`` with extra environment),
  ``OPEN_IN_CHILD``, and the environments that hide a backend process-wide
  (``HIDE_OPENCL``: PoCL exposes no device; ``HIDE_MPI``: mpi4py loads no library).
* Processes a test started: found by an environment tag (``PARBENCH_TEST_TAG``)
  that every child inherits: ``new_tag``, ``processes_tagged``,
  ``wait_none_tagged``, ``kill_tagged``, ``is_backend_worker``; and
  ``live_children`` (this process's descendants).
* Scenarios: ``run_scenario`` runs ``scenario_<name>()`` of a test module in a
  new Python process and session (anything that kills an MPI rank must: see
  kernels/mpi/spawn.py); the scenario prints its result with ``report_result``.
  ``start_scenario`` starts one and returns while it runs (to signal it), with
  the first line it reported.
* Files: ``wait_paths_gone`` (seconds until none of some paths exists).
* asv: ``asv_project`` (a config, results and HOME in tmp_path), ``asv_run_args``,
  ``result_rows``, ``plot_results``; ``benchmarks_module`` (import one module of
  benchmarks/ as asv does).
"""

import importlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from kernels import BackendUnavailable, get_backend
from kernels.validate import default_workers

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASV = str(pathlib.Path(sys.executable).with_name("asv"))
WORKERS = default_workers()
#: the bound the issue sets on noticing a dead worker
DEATH_BOUND_S = 10.0

#: the sizes every backend x dtype is checked at (test_kernels.py, test_opencl.py)
SIZES = sorted({0, 1, 2, 3, 7, 1000, 1025, WORKERS + 1})
# Either side of the sizes where numba (2**18 elements) and cython-openmp (2**13)
# switch between one thread and all workers (their ``SERIAL_BELOW``): test_kernels.py
# checks every backend on both sides, test_numba.py and test_cython_openmp.py that
# these sizes straddle their backend's switch.
SWITCH_SUM_N = [2**13 - 1, 2**13 + 3, 2**18 - 1, 2**18 + 3]
SWITCH_MATVEC_N = [90, 91, 511, 513]  # N*N: 8100 < 2**13 <= 8281; 261121 < 2**18 <= 263169


#: marks of the input tests (test_bad_input.py, test_handled_input.py): a timeout and
#: the expected noise (np.matrix is a case; numpy warns on inf - inf like any numpy
#: code; PoCL's thread count is fixed by the first opencl backend of the process)
INPUT_TEST_MARKS = [
    pytest.mark.timeout(60),
    pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:opencl backend:RuntimeWarning"),
]


def check_switch_sizes_straddle(threshold):
    """Assert SWITCH_SUM_N and SWITCH_MATVEC_N have sizes just below and at/above ``threshold``."""
    assert min(SWITCH_SUM_N) < threshold <= max(SWITCH_SUM_N)
    assert any(n < threshold <= n + 4 for n in SWITCH_SUM_N)
    assert any(a * a < threshold <= b * b for a, b in zip(SWITCH_MATVEC_N, SWITCH_MATVEC_N[1:]))


HIDE_OPENCL = {"POCL_DEVICES": "none"}
HIDE_MPI = {"MPI4PY_LIBMPI": "/nonexistent/libmpi.so.12"}


# ------------------------------------------------------------------- opening


def open_or_skip(name, workers=WORKERS, dtype="float64", make=get_backend):
    """Open ``make(name, ...)`` (a backend; ``make=seed_version`` for a seed variant),
    or skip the test with the reason it cannot run here."""
    try:
        return make(name, workers=workers, dtype=dtype).open()
    except BackendUnavailable as exc:
        pytest.skip(f"{name} unavailable here: {exc}")


def unavailable(name, workers=2, dtype="float64"):
    """The BackendUnavailable message of opening ``name``; fails if it opens."""
    be = get_backend(name, workers=workers, dtype=dtype)
    with pytest.raises(BackendUnavailable) as info:
        be.open()
    assert not be.is_open
    be.close()  # safe after a failed open
    return str(info.value)


# ------------------------------------------------------------ child processes


def run_python_code(code, env_extra, timeout=60):
    """``python -c code`` in the repository root with ``env_extra`` added to the environment."""
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


OPEN_IN_CHILD = """
from kernels import BackendUnavailable, get_backend
try:
    get_backend({name!r}, workers=2).open().close()
    print("OPENED")
except BackendUnavailable as exc:
    print("UNAVAILABLE", exc)
"""


# ------------------------------------------------------ tagged processes


def new_tag(name):
    """A PARBENCH_TEST_TAG value no other test (or run on this machine) uses."""
    return f"{name}-{os.getpid()}-{time.monotonic_ns()}"


def processes_tagged(tag, zombies=False):
    """[(pid, status, cmdline)] of live processes whose environment has PARBENCH_TEST_TAG=tag.

    Zombies (exited, not yet reaped by their parent) are left out unless asked for.
    """
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        try:
            if p.environ().get("PARBENCH_TEST_TAG") != tag:
                continue
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if p.info["status"] == psutil.STATUS_ZOMBIE and not zombies:
            continue
        found.append((p.pid, p.info["status"], " ".join(p.info["cmdline"] or [])))
    return found


def wait_none_tagged(tag, timeout):
    """Seconds until no process carries ``tag`` (polling); the survivors if any remain."""
    t0 = time.monotonic()
    while True:
        left = processes_tagged(tag)
        if not left:
            return time.monotonic() - t0, []
        if time.monotonic() - t0 > timeout:
            return time.monotonic() - t0, left
        time.sleep(0.05)


def kill_tagged(tag):
    """Last-resort cleanup so a failing test leaves nothing behind."""
    for pid, _, _ in processes_tagged(tag, zombies=True):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def live_children():
    """{pid: command line} of this process's descendants, zombies left out."""
    found = {}
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                found[p.pid] = " ".join(p.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def is_backend_worker(cmdline):
    """Whether a command line is an MPI rank, multiprocessing worker or ipyparallel engine."""
    return (
        "kernels.mpi.rank" in cmdline
        or "kernels.seeds.mpi_rank" in cmdline
        or "multiprocessing.spawn" in cmdline
        or "ipyparallel.engine" in cmdline
    )


# -------------------------------------------------------------- scenarios


def run_scenario(module, name, tag, timeout=60, extra_env=None):
    """Run ``scenario_<name>()`` of the test module ``module`` in a new Python process and session.

    ``module`` is the importable name (a test file's ``__name__``, e.g.
    ``tests.test_mpi``); it runs from the repository root, so the scenario's
    spawned children do not re-import a test script.  The scenario prints one
    line ``RESULT {json}`` (``report_result``).  Returns (exit code, that json,
    output, survivors): survivors are the tagged processes still alive 5 s
    after the scenario's process ended (they are killed after being recorded).
    """
    env = {**os.environ, "PARBENCH_TEST_TAG": tag, **(extra_env or {})}
    code = f"import {module} as t; t.scenario_{name}()"
    left = []
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
    finally:
        _, left = wait_none_tagged(tag, 5.0)
        if left:
            kill_tagged(tag)
    out = done.stdout + done.stderr
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"scenario {name} printed no RESULT (rc {done.returncode}):\n{out[-3000:]}"
    return done.returncode, json.loads(lines[-1][len("RESULT ") :]), out, left


def report_result(**fields):
    """What a scenario prints for ``run_scenario``: one line ``RESULT {json}``."""
    print("RESULT " + json.dumps(fields), flush=True)


def start_scenario(module, name, tag, timeout=60, extra_env=None):
    """Start ``scenario_<name>()`` of ``module`` in a new Python process and session.

    As ``run_scenario``, but returns once the scenario reported its first
    ``RESULT`` line: (the subprocess.Popen, with stdout and stderr as text
    pipes, and that line's json).  Fails if the scenario ends or prints
    something else first, or reports nothing within ``timeout`` s.  The caller
    waits for the process (``communicate``) and kills it if it survives.
    """
    env = {**os.environ, "PARBENCH_TEST_TAG": tag, **(extra_env or {})}
    p = subprocess.Popen(
        [sys.executable, "-c", f"import {module} as t; t.scenario_{name}()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    try:
        line = p.stdout.readline()
    finally:
        timer.cancel()
    if not line.startswith("RESULT "):
        p.kill()
        _, err = p.communicate()
        raise AssertionError(f"scenario {name} reported no RESULT: {line!r}\n{err[-3000:]}")
    return p, json.loads(line[len("RESULT ") :])


def wait_paths_gone(paths, timeout):
    """Seconds until none of ``paths`` exists (polling every millisecond), or None."""
    t0 = time.monotonic()
    while any(os.path.exists(path) for path in paths):
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(0.001)
    return time.monotonic() - t0


# -------------------------------------------------------------------- asv


def asv_project(tmp_path, benchmark_dir=None, **env_extra):
    """An asv config in tmp_path (results, html, env and HOME there) and the env to run with.

    Returns (env, tag, results_dir).  ``asv machine`` is run once.
    """
    lines = (ROOT / "asv.conf.json").read_text().splitlines()
    conf = json.loads("\n".join(ln for ln in lines if not ln.lstrip().startswith("//")))
    conf.update(
        repo=str(ROOT),
        benchmark_dir=str(benchmark_dir or ROOT / "benchmarks"),
        results_dir=str(tmp_path / "results"),
        html_dir=str(tmp_path / "html"),
        env_dir=str(tmp_path / "env"),
    )
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    tag = new_tag("asv")
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "PARBENCH_SIZES": "quick",
        "PARBENCH_TEST_TAG": tag,
        **env_extra,
    }
    r = subprocess.run(
        [ASV, "machine", "--yes", "--machine", "ci"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return env, tag, tmp_path / "results"


def asv_run_args(*extra):
    return [
        ASV,
        "run",
        "--python=same",
        "--set-commit-hash",
        "HEAD",
        "--machine",
        "ci",
        "--show-stderr",
        *extra,
    ]


def result_rows(results_dir):
    """{benchmark name: [values]} of the single results file under results_dir/ci."""
    files = [f for f in (results_dir / "ci").glob("*.json") if f.name != "machine.json"]
    assert len(files) == 1, files
    data = json.loads(files[0].read_text())
    col = data["result_columns"].index("result")
    return {name: row[col] for name, row in data["results"].items()}


def benchmarks_module(name):
    """``benchmarks.<name>``, imported with the repository root on sys.path (as asv has it)."""
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module(f"benchmarks.{name}")
    finally:
        sys.path.remove(str(ROOT))


def plot_results(results_dir, out_dir):
    """Run ``python -m benchmarks.plot`` on results_dir in-process; (status, printed text)."""
    import contextlib
    import io

    plot = benchmarks_module("plot")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        status = plot.main(
            ["--results", str(results_dir), "--output", str(out_dir), "--format", "png"]
        )
    return status, buf.getvalue()
