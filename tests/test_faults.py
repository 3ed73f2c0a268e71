"""Generic fault handling: cases too large for memory, Ctrl-C in a script, asv timing out
or interrupted.

Every test has a timeout (pytest-timeout), so a regression fails instead of
hanging CI, and asserts the error type, a time bound and that no process it
started survives.  Processes are found by an environment tag
(``PARBENCH_TEST_TAG``) that every child inherits (``helpers.processes_tagged``).

Faults of one backend's own processes (a killed multiprocessing worker, a
killed MPI rank, a pool or rank program that cannot start) are in
tests/test_multiprocessing.py and tests/test_mpi.py.  Scenarios here run as
``python -c "import tests.test_faults as t; t.scenario_...()"`` from the
repository root in a new session, so their spawned children do not re-import a
test script and an MPI rank's death cannot reach pytest's process group.
"""

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import psutil
import pytest

from kernels import get_backend, memory

from .helpers import (
    DEATH_BOUND_S,
    ROOT,
    asv_project,
    asv_run_args,
    benchmarks_module,
    is_backend_worker,
    kill_tagged,
    new_tag,
    open_or_skip,
    plot_results,
    processes_tagged,
    report_result,
    result_rows,
    wait_none_tagged,
)

pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")


# ------------------------------------------------- memory: too large is a skip


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text, value",
    [
        ("123", 123),
        ("1e9", 10**9),
        ("500MB", 500 * 10**6),
        ("500 mb", 500 * 10**6),
        ("2GiB", 2 * 2**30),
        ("1.5G", 1_500_000_000),
        ("64KiB", 65536),
        ("3kB", 3000),
        ("1TB", 10**12),
    ],
)
def test_parse_bytes(text, value):
    assert memory.parse_bytes(text) == value


@pytest.mark.timeout(30)
@pytest.mark.parametrize("text", ["", "-5MB", "5 parsecs", "MB", "1,000"])
def test_parse_bytes_refuses_nonsense(text):
    with pytest.raises(ValueError, match="cannot read"):
        memory.parse_bytes(text)


@pytest.mark.timeout(30)
def test_memory_limit_env_lowers_and_is_checked(monkeypatch):
    monkeypatch.delenv(memory.LIMIT_ENV, raising=False)
    real, how = memory.memory_limit()
    assert real > 0 and "psutil" in how
    monkeypatch.setenv(memory.LIMIT_ENV, "1MB")
    assert memory.memory_limit() == (10**6, f"1 MB allowed ({memory.LIMIT_ENV}=1MB)")
    monkeypatch.setenv(memory.LIMIT_ENV, "100TB")  # above what is there: no effect
    assert memory.memory_limit()[0] <= real * 1.5
    monkeypatch.setenv(memory.LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match=memory.LIMIT_ENV):
        memory.memory_limit()


@pytest.mark.timeout(30)
def test_need_counts_the_copies_each_backend_makes():
    n, s = 1000, 8
    A = n * n * s
    base = memory.need("numpy", "matvec", n, "float64", workers=2)
    assert base.host >= A  # the caller's A at least
    for name in ("numba", "cython-openmp"):  # compute on the caller's arrays
        assert memory.need(name, "matvec", n, "float64", 2).host == base.host
    for name in ("opencl", "multiprocessing", "mpi"):  # one more copy of A, at least
        assert memory.need(name, "matvec", n, "float64", 2).host >= base.host + A
    mp = memory.need("multiprocessing", "matvec", n, "float64", 4)
    assert mp.shm >= A  # the copy lives in /dev/shm
    assert mp.total("process") == 3 * memory.PROCESS_BYTES
    assert (
        memory.need("mpi", "matvec", n, "float64", 4).total("process") == 3 * memory.PROCESS_BYTES
    )
    assert memory.need("opencl", "matvec", n, "float64", 2).largest_device_buffer == A
    # float32 halves the arrays; end-to-end holds the same copies at its peak
    assert (
        memory.need("mpi", "sum", 10**6, "float32", 2).host
        < memory.need("mpi", "sum", 10**6, "float64", 2).host
    )
    assert (
        memory.need("opencl", "sum", 10**6, "float64", 2, resident=False).host
        == memory.need("opencl", "sum", 10**6, "float64", 2).host
    )
    with pytest.raises(ValueError, match="kernel"):
        memory.need("numpy", "dot", 10)
    with pytest.raises(ValueError, match="unknown backend"):
        memory.need("cuda", "sum", 10)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "kernel, n, dtype",
    [
        ("matvec", 1024, "float32"),
        ("matvec", 777, "float64"),
        ("sum", 2**20, "float32"),
        ("sum", 2**20, "float64"),
    ],
)
def test_need_is_not_below_what_a_benchmark_setup_allocates(kernel, n, dtype, monkeypatch):
    """The estimate covers the peak of the arrays numpy allocates in a real suite setup."""
    import tracemalloc

    monkeypatch.setenv("PARBENCH_DTYPE", dtype)
    suite = benchmarks_module("suite")
    bench = (suite.MatVec if kernel == "matvec" else suite.VectorSum)()
    be = get_backend("numpy", workers=2, dtype=dtype).open()  # opened before, as in setup
    monkeypatch.setattr(suite.common, "get_backend", lambda *a, **k: be)
    tracemalloc.start()
    try:
        bench.setup("numpy", n)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        bench.teardown("numpy", n)
    assert peak <= memory.need("numpy", kernel, n, dtype, 2).host


@pytest.mark.timeout(60)
def test_case_too_large_for_a_lowered_limit_is_a_skip_before_allocating(monkeypatch):
    suite = benchmarks_module("suite")
    allocated = []
    monkeypatch.setattr(suite.common, "make_matvec_inputs", lambda *a: allocated.append(a))
    monkeypatch.setattr(suite.common, "make_sum_input", lambda *a: allocated.append(a))
    monkeypatch.setenv(memory.LIMIT_ENV, "1MB")
    tag = new_tag("memory")
    monkeypatch.setenv("PARBENCH_TEST_TAG", tag)
    for cls, backend, n in [
        (suite.MatVec, "numpy", 512),
        (suite.MatVec, "multiprocessing", 512),
        (suite.VectorSumEndToEnd, "mpi", 2**18),
        (suite.MatVecSerial, None, 512),
    ]:
        bench = cls()
        params = (n,) if backend is None else (backend, n)
        t0 = time.monotonic()
        with pytest.raises(NotImplementedError) as info:
            bench.setup(*params)
        msg = str(info.value)
        assert "does not fit in memory" in msg and f"N={n}" in msg, msg
        assert f"1 MB allowed ({memory.LIMIT_ENV}=1MB)" in msg, msg
        assert time.monotonic() - t0 < 30
    assert not allocated
    # the skipped backends were closed: no worker or rank of theirs is left (MPICH's
    # mpiexec stays with this interpreter by design, see kernels/mpi/spawn.py)
    assert not [p for p in processes_tagged(tag) if is_backend_worker(p[2])]


@pytest.mark.timeout(60)
def test_case_too_large_for_this_machine_is_a_skip(monkeypatch):
    """No limit set: a matvec of N = 2**21 (35 TB) is skipped, not attempted."""
    monkeypatch.delenv(memory.LIMIT_ENV, raising=False)
    suite = benchmarks_module("suite")
    with pytest.raises(
        NotImplementedError,
        match=r"does not fit in memory: matvec N=2097152"
        r".*psutil\.virtual_memory\(\)\.available",
    ):
        suite.MatVec().setup("numpy", 2**21)


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore:opencl backend:RuntimeWarning")
def test_shared_memory_and_device_limits(monkeypatch):
    monkeypatch.delenv(memory.LIMIT_ENV, raising=False)
    monkeypatch.setattr(memory, "shm_free", lambda: 10**6)  # a small /dev/shm
    with pytest.raises(memory.InsufficientMemory, match=r"shared memory.*/dev/shm has 1 MB free"):
        memory.check_fits("multiprocessing", "matvec", 1000, "float64", 2)
    memory.check_fits("mpi", "matvec", 1000, "float64", 2)  # MPI does not use /dev/shm for A
    with open_or_skip("opencl", workers=2) as be:
        be._max_alloc = 4096  # as if the device allowed 4 kB
        with pytest.raises(
            memory.InsufficientMemory, match=r"device buffer of 8.19 kB.*largest is 4.1 kB"
        ):
            memory.check_fits(be, "matvec", 32, "float64", 2, started=True)
        with pytest.raises(MemoryError, match=r"CL_DEVICE_MAX_MEM_ALLOC_SIZE = 4096 bytes"):
            be.put(np.ones((32, 32)))
        assert be.vector_sum(np.ones(100)) == 100.0  # still usable


# ------------------------------------------------------ Ctrl-C in a script


def scenario_loop(name=None):
    """Call matvec in a loop until interrupted; print RESULT when the backend is busy."""
    from kernels import get_backend

    name = name or os.environ["SCENARIO_BACKEND"]
    A = np.random.default_rng(0).uniform(-1, 1, (1000, 1000))
    x = np.ones(1000)
    with get_backend(name, workers=2) as be:
        r = be.put(A)
        be.matvec(r, x)
        report_result(pid=os.getpid(), workers=[p.pid for p in be._procs])
        sys.stdout.flush()
        while True:
            be.matvec(r, x)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("stuck", [False, True], ids=["busy", "stuck-worker"])
@pytest.mark.parametrize("name", ["multiprocessing", "mpi"])
def test_ctrl_c_in_a_script_leaves_no_process(name, stuck):
    """SIGINT to the script's process group (what Ctrl-C in a terminal does) mid-loop.

    stuck: a worker is stopped (SIGSTOP) first, so the call waits forever for it;
    Ctrl-C is the way out, and must still leave nothing behind.
    """
    tag = new_tag(f"sigint-{name}")
    env = {**os.environ, "PARBENCH_TEST_TAG": tag, "SCENARIO_BACKEND": name}
    code = f"import {__name__} as t; t.scenario_loop()"
    p = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = p.stdout.readline()
        assert line.startswith("RESULT "), line + p.stderr.read()
        workers = json.loads(line[7:])["workers"]
        assert workers
        assert processes_tagged(tag)  # the check below can fail
        if stuck:
            os.kill(workers[0], signal.SIGSTOP)
        time.sleep(0.3)  # well inside the loop (or the stuck call)
        os.killpg(p.pid, signal.SIGINT)
        t0 = time.monotonic()
        p.wait(timeout=20)
        err = p.stderr.read()
        took, left = wait_none_tagged(tag, 5.0)
        assert not left, left
        assert time.monotonic() - t0 <= DEATH_BOUND_S
        assert "KeyboardInterrupt" in err, err[-2000:]
        print(
            f"Ctrl-C in a {name} script ({'stuck' if stuck else 'busy'} worker): exit code"
            f" {p.returncode}, no process left after"
            f" {time.monotonic() - t0:.2f} s"
        )
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        kill_tagged(tag)


# ------------------------------------------------------ asv: timeout, Ctrl-C, results

STUCK_BENCHMARK = '''
import numpy as np
from kernels import get_backend


class Stuck:
    """Opens the process backends and never returns: only asv's timeout ends it."""
    timeout = 4
    processes = 1
    number = 1
    repeat = 1
    params = [["multiprocessing", "mpi"]]
    param_names = ["backend"]

    def setup(self, backend):
        self.be = get_backend(backend, workers=2).open()
        self.r = self.be.put(np.ones((300, 300)))
        self.x = np.ones(300)

    def teardown(self, backend):
        self.be.close()

    def track_forever(self, backend):
        while True:
            self.be.matvec(self.r, self.x)
'''


@pytest.mark.timeout(120)
def test_asv_timeout_leaves_no_process(tmp_path):
    bench_dir = tmp_path / "stuck_benchmarks"
    bench_dir.mkdir()
    (bench_dir / "__init__.py").write_text("")
    (bench_dir / "stuck.py").write_text(textwrap.dedent(STUCK_BENCHMARK))
    env, tag, results = asv_project(tmp_path, benchmark_dir=bench_dir)
    t0 = time.monotonic()
    try:
        r = subprocess.run(
            asv_run_args(),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=100,
            start_new_session=True,
        )
        took = time.monotonic() - t0
        out = r.stdout + r.stderr
        # each case timed out (asv prints the block twice: result table and --show-stderr)
        assert out.count("asv: benchmark timed out (timeout 4s)") >= 2, out[-3000:]
        assert "For parameters: 'multiprocessing'" in out and "For parameters: 'mpi'" in out
        # asv ran and timed out each case (4 s of no output, then SIGTERM/SIGKILL):
        # nothing of ours is left once asv has returned
        assert not processes_tagged(tag), processes_tagged(tag)
        assert result_rows(results)["stuck.Stuck.track_forever"] in (None, [None, None])
        assert took < 60
    finally:
        kill_tagged(tag)
    print(
        f"asv timeout on multiprocessing and mpi: asv returned after {took:.1f} s, no process left"
    )


def _benchmark_worker(tag, benchmark, timeout):
    """Wait until a tagged MPI rank or multiprocessing worker serves ``benchmark``.

    Returns "<worker cmdline> <- <benchmark process cmdline>", or None.  A worker
    started by asv's discovery (runinfo opens every backend) does not count: its
    ancestors must include the process asv runs ``benchmark`` in.
    """
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        for pid, _, cmd in processes_tagged(tag):
            if not is_backend_worker(cmd):
                continue
            try:
                for parent in psutil.Process(pid).parents()[:4]:
                    pcmd = " ".join(parent.cmdline())
                    if benchmark in pcmd:
                        return f"{cmd} <- {pcmd}"
            except psutil.Error:
                continue
        time.sleep(0.02)
    return None


@pytest.mark.timeout(180)
def test_ctrl_c_during_asv_run_keeps_earlier_results_and_leaves_no_process(tmp_path):
    env, tag, results = asv_project(tmp_path, PARBENCH_BACKENDS="multiprocessing,mpi")
    try:
        # 1. an earlier, complete run
        r = subprocess.run(
            asv_run_args("--bench", r"^suite\.(VectorSum|VectorSumSerial)\."),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        before = result_rows(results)
        assert all(v and not any(e is None or math.isnan(e) for e in v) for v in before.values())
        files_before = {f: f.read_bytes() for f in (results / "ci").glob("*.json")}
        # 2. a second run, interrupted (Ctrl-C) while a backend with processes is busy
        p = subprocess.Popen(
            asv_run_args("--bench", r"^suite\.MatVec"),
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            cmd = _benchmark_worker(tag, "suite.MatVec", 90)
            assert cmd, "no MPI rank or multiprocessing worker started by a MatVec benchmark"
            time.sleep(0.2)
            os.killpg(p.pid, signal.SIGINT)  # the terminal's Ctrl-C: asv's process group
            t0 = time.monotonic()
            out, _ = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        # asv says "Interrupted." when the Ctrl-C lands while it waits on the benchmark;
        # if it lands a moment later (in asv's own clean-up) the KeyboardInterrupt escapes
        # as a traceback.  Either way asv must stop with a failure status.
        assert p.returncode != 0, out[-3000:]
        assert "Interrupted" in out or "KeyboardInterrupt" in out, out[-3000:]
        took, left = wait_none_tagged(tag, 5.0)
        assert not left, left
        stopped_after = time.monotonic() - t0
        # 3. the earlier results are intact, readable and plotted
        assert {f: f.read_bytes() for f in (results / "ci").glob("*.json")} == files_before
        assert result_rows(results) == before
        status, text = plot_results(results, tmp_path / "plots")
        assert status == 0, text
        assert (tmp_path / "plots" / "ci" / "summary.md").is_file()
    finally:
        kill_tagged(tag)
    worker, bench = cmd.split(" <- ")
    bench = next(w for w in bench.split() if w.startswith("suite."))
    print(
        f"Ctrl-C during asv run (while {worker.split()[-1]} served {bench}): asv stopped,"
        f" no process left"
        f" {stopped_after:.2f} s after SIGINT; earlier results intact and plotted"
    )
