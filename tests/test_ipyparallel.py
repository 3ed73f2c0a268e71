"""The ipyparallel backend's own guarantees: dead engines, a killed driver, its files, MPI engines.

The kernels themselves are checked with every backend (tests/test_kernels.py),
Ctrl-C in tests/test_faults.py, loopback-only sockets in tests/test_exposure.py.
Driver deaths run as scenarios in processes of their own
(``helpers.run_scenario``), found afterwards by the environment variable
ipyparallel sets in every process of a cluster (IPP_PROFILE_DIR).
"""

import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import psutil
import pytest

from kernels import WorkerError
from kernels.ipyparallel.reaper import cluster_processes

from .helpers import DEATH_BOUND_S, ROOT, open_or_skip, report_result

pytest.importorskip("ipyparallel")


def _wait_gone(profile_dir, timeout):
    """Seconds until no process of the cluster at ``profile_dir`` and no directory remain."""
    t0 = time.monotonic()
    while cluster_processes(profile_dir) or os.path.exists(profile_dir):
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(0.05)
    return time.monotonic() - t0


@pytest.mark.timeout(120)
def test_engine_killed_mid_call_raises_worker_error_and_close_leaves_nothing():
    be = open_or_skip("ipyparallel", workers=2)
    profile = be._cluster.profile_dir
    try:
        n = 2000
        A, x = np.ones((n, n)), np.ones(n)
        r = be.put(A)
        victim = be._procs[1]
        timer = threading.Timer(0.3, victim.kill)
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(WorkerError, match=f"engine 1 \\(pid {victim.pid}\\) died"):
            while time.monotonic() - t0 < 30:
                be.matvec(r, x)
        took = time.monotonic() - t0 - 0.3
        assert took < DEATH_BOUND_S
        with pytest.raises(WorkerError, match="broken"):
            be.vector_sum(np.ones(10))
    finally:
        be.close()
    assert _wait_gone(profile, 10.0) is not None, cluster_processes(profile)
    print(f"killed engine: WorkerError {took:.3f} s after the kill; nothing left after close")


@pytest.mark.timeout(120)
def test_files_are_private_signed_and_removed_at_close():
    be = open_or_skip("ipyparallel", workers=2)
    profile = be._cluster.profile_dir
    try:
        assert stat.S_IMODE(os.stat(profile).st_mode) == 0o700
        security = os.path.join(profile, "security")
        connection = [f for f in os.listdir(security) if f.startswith("ipcontroller-")]
        assert len(connection) == 2, connection  # the client's and the engines'
        for f in connection:
            assert stat.S_IMODE(os.stat(os.path.join(security, f)).st_mode) == 0o600
        session = be._cluster.client.session
        assert session.key and session.signature_scheme.startswith("hmac-")
        assert be.describe()["signing"].startswith("on (hmac-")
        home_profiles = os.path.expanduser("~/.ipython/profile_default/log")
        before = set(os.listdir(home_profiles)) if os.path.isdir(home_profiles) else set()
    finally:
        be.close()
    assert not os.path.exists(profile)
    after = set(os.listdir(home_profiles)) if os.path.isdir(home_profiles) else set()
    assert after == before  # nothing written to the user's own profile


def scenario_busy_driver():
    """Open the backend, report the profile directory, then compute until killed."""
    from kernels import get_backend

    be = get_backend("ipyparallel", workers=2).open()
    r = be.put(np.ones((1500, 1500)))
    report_result(profile=be._cluster.profile_dir, pid=os.getpid())
    while True:
        be.matvec(r, np.ones(1500))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_driver_leaves_no_controller_engine_or_file(sig):
    """SIGKILL or SIGTERM (asv's timeout) to the driver mid-call: the reaper sweeps."""
    p = subprocess.Popen(
        [sys.executable, "-c", f"import {__name__} as t; t.scenario_busy_driver()"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    profile = None
    try:
        line = p.stdout.readline()
        if not line.startswith("RESULT "):
            pytest.skip(f"ipyparallel backend did not open: {line!r}")
        import json

        profile = json.loads(line[7:])["profile"]
        assert len(cluster_processes(profile)) >= 5  # the check below can fail
        time.sleep(0.5)
        os.kill(p.pid, sig)
        p.wait(10)
        took = _wait_gone(profile, DEATH_BOUND_S)
        assert took is not None, [q.cmdline() for q in cluster_processes(profile)]
        print(f"{sig.name} to the driver: cluster and profile gone {took:.2f} s later")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if profile:
            for q in cluster_processes(profile):
                q.kill()


@pytest.mark.timeout(120)
def test_mpi_engines_run_psum_and_gatherv_on_loopback_only():
    pytest.importorskip("mpi4py")
    be = open_or_skip("ipyparallel", workers=2, make=_mpi_engines)
    try:
        assert "Allreduce" in be.describe()["collectives"]
        rng = np.random.default_rng(1)
        A, x, a = rng.random((301, 301)), rng.random(301), rng.random(10_001)
        np.testing.assert_allclose(be.matvec(be.put(A), x), A @ x, rtol=1e-12)
        np.testing.assert_allclose(be.vector_sum(be.put(a)), a.sum(), rtol=1e-12)
        np.testing.assert_allclose(be.matvec(A, x), A @ x, rtol=1e-12)
        me = psutil.Process()
        listening = {
            c.laddr.ip
            for q in me.children(recursive=True)
            for c in q.net_connections("inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening and listening <= {"127.0.0.1"}, listening
        assert any("mpiexec.gforker" in " ".join(q.cmdline()) for q in me.children(True))
    finally:
        be.close()


def _mpi_engines(name, workers, dtype):
    from kernels.ipyparallel.backend import IPyParallelBackend

    return IPyParallelBackend(workers=workers, dtype=dtype, engines="mpi")
