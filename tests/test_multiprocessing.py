"""The multiprocessing backend (kernels/multiprocessing): pool faults.

A worker killed mid-call or between calls, and a pool that cannot start (no
shared memory).  Every test has a timeout and asserts the error, a time bound
and that no process it started survives.  A stuck worker interrupted by Ctrl-C
is in test_faults.py, with the mpi backend's.
"""

import errno
import os
import signal
import threading
import time

import numpy as np
import psutil
import pytest

from kernels import WorkerError, get_backend

from .helpers import DEATH_BOUND_S, unavailable


@pytest.mark.timeout(60)
@pytest.mark.parametrize("stopped_first", [True, False], ids=["mid-call", "between-calls"])
def test_killed_multiprocessing_worker(stopped_first):
    """SIGKILL one of two workers: WorkerError within the bound, the other worker stopped."""
    A = np.random.default_rng(0).uniform(-1, 1, (600, 600))
    x = np.ones(600)
    be = get_backend("multiprocessing", workers=3).open()
    try:
        r = be.put(A)
        procs = [psutil.Process(p.pid) for p in be._procs]
        prefix = be._prefix
        victim, other = procs
        if stopped_first:
            # stopped, the worker cannot answer: the call is surely in flight when it dies
            victim.send_signal(signal.SIGSTOP)
            killed_at = []
            timer = threading.Timer(
                0.5, lambda: (killed_at.append(time.monotonic()), victim.kill())
            )
            timer.start()
        else:
            victim.kill()
            killed_at = [time.monotonic()]
            while victim.status() != psutil.STATUS_ZOMBIE:  # dead, left for the pool to reap
                time.sleep(0.01)
        with pytest.raises(
            WorkerError, match=r"worker 1 \(pid \d+\) died during mv \(exit code -9"
        ):
            be.matvec(r, x)
        took = time.monotonic() - killed_at[0]
        assert took <= DEATH_BOUND_S
        # the other worker is stopped with the pool, not left behind
        gone, alive = psutil.wait_procs([other], timeout=5)
        assert not alive
        # later calls raise at once instead of hanging
        t0 = time.monotonic()
        with pytest.raises(WorkerError, match="close"):
            be.vector_sum(np.ones(10))
        assert time.monotonic() - t0 < 1.0
    finally:
        t0 = time.monotonic()
        be.close()
        assert time.monotonic() - t0 < 5.0
    assert not [f for f in os.listdir("/dev/shm") if f.startswith(prefix)]
    print(
        f"multiprocessing worker killed ({'mid-call' if stopped_first else 'between calls'}):"
        f" WorkerError after {took:.3f} s"
    )


@pytest.mark.timeout(60)
def test_multiprocessing_without_shared_memory(monkeypatch):
    from kernels.multiprocessing import backend as mpb

    def no_shm(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/dev/shm")

    monkeypatch.setattr(mpb.shared_memory, "SharedMemory", no_shm)
    before = {p.pid for p in psutil.Process().children()}
    msg = unavailable("multiprocessing", workers=2)
    assert msg.startswith("cannot start the multiprocessing pool") and "No space left" in msg
    started = {p.pid for p in psutil.Process().children()} - before
    assert not started


@pytest.mark.timeout(60)
def test_worker_log_records_reach_the_drivers_handlers():
    """A warning a spawned worker logs arrives at a handler installed in the driver.

    The fault is real: the placed matrix's shared-memory file is removed behind
    the backend's back (as a /dev/shm clean-up would), so the worker cannot
    attach it, logs a WARNING with its traceback and reports the error.
    """
    import logging

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logging.getLogger().addHandler(handler)
    A, x = np.ones((64, 64)), np.ones(64)
    try:
        with get_backend("multiprocessing", workers=2) as be:
            before = set(os.listdir("/dev/shm"))
            r = be.put(A)
            mine = f"parbench_{os.getpid()}_"
            new = set(os.listdir("/dev/shm")) - before
            # the matrix's own segment ("a<n>"); "s<n>" is the x/y scratch it grew
            placed = [f for f in new if f.startswith(mine) and f.rsplit("_", 1)[1].startswith("a")]
            assert len(placed) == 1, new
            os.unlink(os.path.join("/dev/shm", placed[0]))
            with pytest.raises(WorkerError, match="FileNotFoundError"):
                be.matvec(r, x)
    finally:
        logging.getLogger().removeHandler(handler)
    worker = [rec for rec in records if rec.name == "kernels.multiprocessing.worker"]
    assert worker, [r.getMessage() for r in records]
    assert worker[0].levelno == logging.WARNING
    assert "multiprocessing worker 1" in worker[0].getMessage()
    assert worker[0].process != os.getpid()  # made in the worker, handled here
