"""The memory guard (kernels/memory.py): a case too large for memory is a skip, not a crash.

Parsing of PARBENCH_MEMORY_LIMIT, what each backend's copies add, that the
estimate is not below what a real benchmark setup allocates, and that a case
that does not fit is skipped before anything is allocated, with the reason.
"""

import time

import numpy as np
import pytest

from kernels import get_backend, memory
from measuring import cases

from .helpers import (
    benchmarks_module,
    is_backend_worker,
    new_tag,
    open_or_skip,
    processes_tagged,
)

pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")


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

    be = get_backend("numpy", workers=2, dtype=dtype).open()  # opened before, as in setup
    monkeypatch.setattr(cases, "get_backend", lambda *a, **k: be)
    tracemalloc.start()
    try:
        _be, _call, _host = cases.prepare_case("numpy", kernel, n, 2, dtype)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        be.close()
    assert peak <= memory.need("numpy", kernel, n, dtype, 2).host


@pytest.mark.timeout(60)
def test_case_too_large_for_a_lowered_limit_is_a_skip_before_allocating(monkeypatch):
    allocated = []
    monkeypatch.setattr(cases, "make_matvec_inputs", lambda *a: allocated.append(a))
    monkeypatch.setattr(cases, "make_sum_input", lambda *a: allocated.append(a))
    monkeypatch.setenv(memory.LIMIT_ENV, "1MB")
    tag = new_tag("memory")
    monkeypatch.setenv("PARBENCH_TEST_TAG", tag)
    for kernel, backend, n, resident, workers in [
        ("matvec", "numpy", 512, True, None),
        ("matvec", "multiprocessing", 512, True, None),
        ("sum", "mpi", 2**18, False, None),
        ("matvec", "numpy", 512, True, 1),
    ]:
        t0 = time.monotonic()
        with pytest.raises(NotImplementedError) as info:
            cases.prepare_case(backend, kernel, n, workers, "float64", resident)
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
        suite.MatVecEndToEndCold().setup("mpi", 2**21)


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
