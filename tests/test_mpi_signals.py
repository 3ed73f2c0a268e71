"""Signals to a script with the mpi backend open: Ctrl-C, SIGTERM (asv's timeout), SIGKILL.

* Ctrl-C (SIGINT to the script's process group, as a terminal sends it) during
  a loop of matvec and sum calls: the script ends as any Python program ends on
  Ctrl-C, a KeyboardInterrupt traceback and then death by SIGINT (returncode
  -SIGINT; 130 in a shell), never a segmentation fault in MPI_Finalize (see
  kernels/mpi/finalize.py).  Repeated, with the signal landing at different
  moments, since the crash depended on where it landed.
* Ctrl-C while a rank is stopped (the call cannot complete, the backend breaks
  after the grace time of kernels/mpi/interrupts.py): the same exit.
* A Ctrl-C the script catches: the backend goes on computing right answers.
* A killed rank (mid-call, or while the backend is idle): the script exits 0
  (MPI_Finalize, which used to crash or hang there, is skipped).
* SIGTERM and SIGKILL of the driver alone: no process of its tree and none of
  its job's /dev/shm/mpich_shm_* files remain a few seconds later
  (kernels/mpi/reaper.py).

The job's files are read while it runs from what its driver and ranks map
(``kernels.mpi.segments.mapped_segments`` on /proc/<pid>/maps), so files of
other runs sharing /dev/shm do not count.  Every scenario runs in a process and
session of its own (``helpers.start_scenario``), found by its environment tag.
"""

import os
import signal
import threading
import time

import numpy as np
import psutil
import pytest

from kernels import WorkerError, get_backend
from kernels.mpi.segments import mapped_segments

from .helpers import (
    DEATH_BOUND_S,
    kill_tagged,
    new_tag,
    report_result,
    start_scenario,
    wait_none_tagged,
    wait_paths_gone,
)

pytest.importorskip("mpi4py")
pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")

#: seconds within which a signalled driver's files and processes must be gone
GONE_BOUND_S = 5.0


# ------------------------------------------------------------------- scenarios


def scenario_loop():
    """Loop matvec and sum calls (and numpy's sum) until a signal ends the process."""
    rng = np.random.default_rng(0)
    A, x, a = rng.uniform(-1, 1, (1000, 1000)), np.ones(1000), rng.random(200_000)
    with get_backend("mpi", workers=2) as be:
        A_r, a_r = be.put(A), be.put(a)
        be.matvec(A_r, x)
        report_result(pid=os.getpid(), ranks=[p.pid for p in be._procs])
        while True:
            be.matvec(A_r, x)
            be.vector_sum(a_r)
            a.sum()


def scenario_catch_ctrl_c():
    """Ctrl-C (SIGINT to this process) mid-loop, three times, caught; report what followed."""
    rng = np.random.default_rng(1)
    A, x, a = rng.uniform(-1, 1, (800, 800)), rng.random(800), rng.random(100_000)
    caught, wrong = 0, []
    with get_backend("mpi", workers=2) as be:
        A_r, a_r = be.put(A), be.put(a)
        for _ in range(3):
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
            try:
                while True:
                    be.matvec(A_r, x)
                    be.vector_sum(a_r)
            except KeyboardInterrupt:
                caught += 1
            y, s = be.matvec(A_r, x), be.vector_sum(a_r)
            if not (np.allclose(y, A @ x) and np.isclose(s, a.sum())):
                wrong.append(caught)
        broken = be._broken
    report_result(caught=caught, wrong=wrong, broken=broken)


def scenario_kill_rank():
    """Calls until the test kills a rank; the WorkerError is caught and the script ends normally."""
    A, x = np.ones((600, 600)), np.ones(600)
    with get_backend("mpi", workers=2) as be:
        r = be.put(A)
        report_result(pid=os.getpid(), ranks=[p.pid for p in be._procs])
        try:
            while True:
                be.matvec(r, x)
        except WorkerError as exc:
            print(f"WorkerError: {exc}", flush=True)


def scenario_kill_idle_rank():
    """No call while the test kills a rank; then the script closes the backend and ends."""
    with get_backend("mpi", workers=2) as be:
        be.vector_sum(be.put(np.ones(1000)))
        report_result(pid=os.getpid(), ranks=[p.pid for p in be._procs])
        be._procs[0].wait(30)


# ----------------------------------------------------------------------- tests


def _job_files(res):
    """The MPICH files the scenario's driver and ranks map now (at least 2: the checks can fail)."""
    files = mapped_segments([res["pid"], *res["ranks"]])
    assert len(files) >= 2, f"driver and rank map no MPICH file: {files}"
    return files


def _end(p, tag):
    """Wait for the scenario to end: (stdout, stderr, its processes left GONE_BOUND_S later)."""
    out, err = p.communicate(timeout=30)
    return out, err, wait_none_tagged(tag, GONE_BOUND_S)[1]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("attempt", range(5))
def test_ctrl_c_ends_with_keyboard_interrupt_not_a_segfault(attempt):
    tag = new_tag(f"mpi-sigint-{attempt}")
    p, res = start_scenario(__name__, "loop", tag)
    try:
        files = _job_files(res)
        time.sleep(0.2 + 0.07 * attempt)  # a different moment of the loop each time
        os.killpg(p.pid, signal.SIGINT)  # the terminal's Ctrl-C: the script's process group
        t0 = time.monotonic()
        out, err, left = _end(p, tag)
        gone = wait_paths_gone(files, GONE_BOUND_S)
    finally:
        kill_tagged(tag)
    assert "KeyboardInterrupt" in err, err[-3000:]
    assert "Segmentation fault" not in err, err[-3000:]
    assert p.returncode == -signal.SIGINT, f"exit status {p.returncode}\n{err[-3000:]}"
    assert time.monotonic() - t0 <= DEATH_BOUND_S
    assert not left, left
    assert gone is not None, [f for f in files if os.path.exists(f)]
    print(f"Ctrl-C {attempt}: status {p.returncode}, job's files gone, no process left")


@pytest.mark.timeout(90)
def test_ctrl_c_with_a_stopped_rank_ends_with_keyboard_interrupt():
    """The call cannot complete: the interrupt takes effect after the grace time."""
    tag = new_tag("mpi-sigint-stuck")
    p, res = start_scenario(__name__, "loop", tag)
    try:
        files = _job_files(res)
        os.kill(res["ranks"][0], signal.SIGSTOP)
        time.sleep(0.3)  # the driver now waits for the stopped rank
        os.killpg(p.pid, signal.SIGINT)
        t0 = time.monotonic()
        out, err, left = _end(p, tag)
        took = time.monotonic() - t0
        gone = wait_paths_gone(files, GONE_BOUND_S)
    finally:
        kill_tagged(tag)
    assert "KeyboardInterrupt" in err, err[-3000:]
    assert p.returncode == -signal.SIGINT, f"exit status {p.returncode}\n{err[-3000:]}"
    assert took <= DEATH_BOUND_S
    assert not left, left
    assert gone is not None, [f for f in files if os.path.exists(f)]
    print(f"Ctrl-C with a stopped rank: status {p.returncode} after {took:.2f} s")


@pytest.mark.timeout(90)
def test_caught_ctrl_c_leaves_the_backend_working():
    tag = new_tag("mpi-sigint-caught")
    p, res = start_scenario(__name__, "catch_ctrl_c", tag)
    try:
        out, err, left = _end(p, tag)
    finally:
        kill_tagged(tag)
    assert res == {"caught": 3, "wrong": [], "broken": False}, err[-3000:]
    assert p.returncode == 0, f"exit status {p.returncode}\n{err[-3000:]}"
    assert not left, left


@pytest.mark.timeout(90)
@pytest.mark.parametrize("when", ["mid-call", "idle"])
def test_killed_rank_then_normal_exit(when):
    """The README's case: after a rank died the interpreter exits normally, no SIGSEGV.

    idle: the rank dies between calls, unnoticed until close; MPI_Finalize
    used to wait forever at exit for the process manager that no longer serves.
    """
    tag = new_tag(f"mpi-rank-killed-exit-{when}")
    p, res = start_scenario(__name__, "kill_rank" if when == "mid-call" else "kill_idle_rank", tag)
    try:
        files = _job_files(res)
        time.sleep(0.3)
        os.kill(res["ranks"][0], signal.SIGKILL)
        out, err, left = _end(p, tag)
        gone = wait_paths_gone(files, GONE_BOUND_S)
    finally:
        kill_tagged(tag)
    if when == "mid-call":
        assert "WorkerError: mpi backend: rank 1" in out, out + err[-3000:]
    assert p.returncode == 0, f"exit status {p.returncode}\n{err[-3000:]}"
    assert not left, left
    assert gone is not None, [f for f in files if os.path.exists(f)]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_driver_leaves_no_file_and_no_process(sig):
    """SIGTERM (asv's timeout) or SIGKILL to the driver alone, mid-loop."""
    tag = new_tag(f"mpi-{sig.name}")
    p, res = start_scenario(__name__, "loop", tag)
    try:
        files = _job_files(res)
        procs = [psutil.Process(pid) for pid in (res["pid"], *res["ranks"])]
        time.sleep(0.3)
        os.kill(p.pid, sig)
        gone = wait_paths_gone(files, GONE_BOUND_S)
        out, err, left = _end(p, tag)
    finally:
        kill_tagged(tag)
    assert p.returncode == -sig
    assert gone is not None, f"left in /dev/shm: {[f for f in files if os.path.exists(f)]}"
    assert not left, left
    assert not [q.pid for q in procs if q.is_running() and q.status() != psutil.STATUS_ZOMBIE]
    print(f"{sig.name} to the driver: its job's {len(files)} files gone {gone * 1000:.0f} ms later")
