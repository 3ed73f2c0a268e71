"""The placement pool of end-to-end calls (kernels.placement_pool) and its use by the backends.

A pool must never change a result, never lend one buffer to two live calls, keep
only the last size, and be empty after close() and after a worker died.
"""

import os

import numpy as np
import psutil
import pytest

from kernels import WorkerError, get_backend
from kernels.placement_pool import LIMIT_ENV, PlacementPool, pool_limit

from .helpers import new_tag, open_or_skip, report_result, run_scenario

POOLED = ("opencl", "multiprocessing", "mpi")


# ----------------------------------------------------------- the pool alone


def test_pool_lends_a_buffer_once_and_keeps_one_size():
    pool = PlacementPool(limit=100)
    assert pool.take("a") == (None, [])  # empty: the caller places anew
    assert pool.give("a", "h1", 40) == []
    assert pool.give("a", "h2", 40) == []
    assert pool.give("a", "h3", 40) == ["h3"]  # over the limit: freed at once
    first, _ = pool.take("a")
    second, _ = pool.take("a")
    assert {first, second} == {"h1", "h2"} and pool.take("a") == (None, [])
    pool.give("a", first, 40)
    handle, evicted = pool.take("b")  # another size: the idle ones of "a" go
    assert handle is None and evicted == [first] and len(pool) == 0
    assert pool.give("a", second, 40) == [second]  # a size no longer kept
    pool.give("b", "hb", 10)
    assert pool.drain() == ["hb"] and len(pool) == 0 and pool.idle_bytes == 0


def test_pool_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "3MiB")
    assert pool_limit() == 3 * 2**20
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match=LIMIT_ENV):
        pool_limit()


# ----------------------------------------------------------- in the backends


def _open_pooled(name, monkeypatch, zero_copy=False):
    """Open ``name``; for opencl, force the copy path (zero_copy False) or keep the device's."""
    be = open_or_skip(name, workers=2)
    if name == "opencl" and not zero_copy:
        monkeypatch.setattr(be, "_zero_copy", False)
    return be


def _handles_seen(be, monkeypatch):
    """Record every handle an end-to-end call computes on."""
    seen = []
    for op in ("_matvec", "_vector_sum"):
        real = getattr(be, op)

        def spy(handle, n, *rest, _real=real):
            seen.append(handle)
            return _real(handle, n, *rest)

        monkeypatch.setattr(be, op, spy)
    return seen


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", POOLED)
def test_same_size_reuses_the_buffer_another_size_does_not(name, monkeypatch):
    be = _open_pooled(name, monkeypatch)
    try:
        seen = _handles_seen(be, monkeypatch)
        rng = np.random.default_rng(1)
        a, b, c = rng.random(5000), rng.random(5000), rng.random(7000)
        assert be.vector_sum(a) == pytest.approx(a.sum())
        assert be.vector_sum(b) == pytest.approx(b.sum())  # same buffer, new data
        assert be.vector_sum(c) == pytest.approx(c.sum())
        assert seen[0] is seen[1] and seen[2] is not seen[0]
        assert len(be._placements) == 1  # only the last size is kept
        A = rng.random((300, 300))
        x = rng.random(300)
        np.testing.assert_allclose(be.matvec(A, x), A @ x)
        np.testing.assert_allclose(be.matvec(2 * A, x), 2 * A @ x)
        assert seen[3] is seen[4]
    finally:
        be.close()
    assert be._placements is None


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", POOLED)
def test_a_buffer_is_never_lent_to_two_live_calls(name, monkeypatch):
    """A call that needs a placement while another of the same size is out gets its own."""
    be = _open_pooled(name, monkeypatch)
    try:
        a = np.arange(4000, dtype=np.float64)
        be.vector_sum(a)  # one idle buffer of this size now
        held, _ = be._placements.take(((4000,), a.dtype.str))  # as a live call holds it
        assert held is not None
        seen = _handles_seen(be, monkeypatch)
        assert be.vector_sum(a + 1) == pytest.approx((a + 1).sum())
        assert seen[0] is not held
        be._free(held)
    finally:
        be.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", (*POOLED, "opencl-zero-copy"))
def test_results_identical_with_the_pool_on_and_off(name, monkeypatch):
    backend = name.split("-")[0]
    rng = np.random.default_rng(2)
    cases = [rng.random((n, n)) for n in (0, 1, 5, 257)]
    vectors = [rng.random(n) for n in (0, 1, 5, 100_003)]
    results = {}
    for limit in ("0", "1GiB"):
        monkeypatch.setenv(LIMIT_ENV, limit)
        be = _open_pooled(backend, monkeypatch, zero_copy=name.endswith("zero-copy"))
        try:
            assert (be._placements is None) == (limit == "0")
            results[limit] = [be.matvec(A, np.ones(len(A))) for A in cases for _ in range(2)]
            results[limit] += [be.vector_sum(a) for a in vectors for _ in range(2)]
        finally:
            be.close()
    for on, off in zip(results["1GiB"], results["0"], strict=True):
        np.testing.assert_array_equal(on, off)


def scenario_pool_after_a_killed_worker():
    """A worker dies: the failed end-to-end call empties the pool, close() frees the rest."""
    name = os.environ["SCENARIO_BACKEND"]
    before = set(os.listdir("/dev/shm"))
    a = np.ones(200_000)
    be = get_backend(name, workers=2).open()
    be.vector_sum(a)
    idle_before = len(be._placements)
    victim = psutil.Process(be._procs[0].pid)
    victim.kill()
    victim.wait(5)
    try:
        be.vector_sum(a)
        error = "none"
    except WorkerError as exc:
        error = f"WorkerError: {exc}"
    idle_after = len(be._placements)
    be.close()
    report_result(
        error=error,
        idle_before=idle_before,
        idle_after=idle_after,
        left=sorted(set(os.listdir("/dev/shm")) - before),
        own_mpich_segment=f"mpich_shm_{os.getpid():x}_",
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ("multiprocessing", "mpi"))
def test_pool_is_empty_after_a_killed_worker(name):
    before = set(os.listdir("/dev/shm"))
    rc, res, out, survivors = run_scenario(
        __name__,
        "pool_after_a_killed_worker",
        new_tag(f"pool-kill-{name}"),
        extra_env={"SCENARIO_BACKEND": name},
    )
    assert res["error"].startswith("WorkerError"), res
    assert res["idle_before"] == 1 and res["idle_after"] == 0, res
    assert all(f.startswith(res["own_mpich_segment"]) for f in res["left"]), res
    assert rc == 0, out[-2000:]  # no crash at exit after a dead rank (kernels/mpi/finalize.py)
    assert not sorted(set(os.listdir("/dev/shm")) - before)
    assert not survivors
