"""Generic fault handling: Ctrl-C in a script, asv timing out or interrupted.

The memory guard (a case too large is a skip) is in tests/test_memory.py.

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

from kernels import get_backend

from .helpers import (
    DEATH_BOUND_S,
    ROOT,
    asv_project,
    asv_run_args,
    is_backend_worker,
    kill_tagged,
    new_tag,
    plot_results,
    processes_tagged,
    report_result,
    result_rows,
    wait_none_tagged,
)

pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")


# ------------------------------------------------------ Ctrl-C in a script


def scenario_loop(name=None):
    """Call matvec in a loop until interrupted; print RESULT when the backend is busy."""

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
@pytest.mark.parametrize("name", ["multiprocessing", "mpi", "ipyparallel"])
def test_ctrl_c_in_a_script_leaves_no_process(name, stuck):
    """SIGINT to the script's process group (what Ctrl-C in a terminal does) mid-loop.

    stuck: a worker is stopped (SIGSTOP) first, so the call waits forever for it;
    Ctrl-C is the way out, and must still leave nothing behind.
    """
    tag = new_tag(f"sigint-{name}")
    shm_before = set(os.listdir("/dev/shm"))
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
        # shared-memory files too: the pool's segments, MPICH's of the driver and ranks
        assert not set(os.listdir("/dev/shm")) - shm_before
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
        # 1. an earlier, complete run, as scripts/run-all.sh makes it: the paired
        # measurement and a benchmark asv times, then the store of the paired numbers
        r = subprocess.run(
            asv_run_args("--bench", r"^(paired\.Measurement|suite\.VectorSumEndToEndCold)\."),
            # one backend with processes keeps the measurement short
            env={**env, "PARBENCH_BACKENDS": "multiprocessing"},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        stored = subprocess.run(
            [sys.executable, "-m", "measuring.asv_store", "--machine", "ci", "--results", results],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert stored.returncode == 0, stored.stdout + stored.stderr
        before = result_rows(results)
        failed = [k for k, v in before.items() if v is None or None in v]
        assert not failed, failed  # nothing failed
        cold = before["suite.VectorSumEndToEndCold.track_time"]
        assert cold and not any(math.isnan(e) for e in cold)
        files_before = {f: f.read_bytes() for f in (results / "ci").glob("*.json")}
        # 2. a second run, interrupted (Ctrl-C) while a backend with processes is busy
        p = subprocess.Popen(
            asv_run_args("--bench", r"^suite\.MatVecEndToEndCold"),
            # the default sizes keep the benchmark busy for longer than the quick ones'
            # few seconds, so the Ctrl-C cannot land after it has finished
            env={**env, "PARBENCH_SIZES": "default"},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            cmd = _benchmark_worker(tag, "suite.MatVecEndToEndCold", 90)
            assert cmd, "no MPI rank or multiprocessing worker started by a MatVec benchmark"
            time.sleep(0.2)
            t0 = time.monotonic()
            # the terminal's Ctrl-C goes to asv's process group.  asv (launch_method
            # "spawn") forks a process per parameter; a Ctrl-C that lands during that fork
            # raises its KeyboardInterrupt inside logging's at-fork handler, where CPython
            # prints "Exception ignored" and drops it (seen once in CI).  A user then
            # presses Ctrl-C again: so does the test, once a second has passed.
            presses = 0
            while p.poll() is None and presses < 3:
                os.killpg(p.pid, signal.SIGINT)
                presses += 1
                try:
                    p.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
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
        f" {stopped_after:.2f} s after the first of {presses} SIGINT;"
        f" earlier results intact and plotted"
    )
