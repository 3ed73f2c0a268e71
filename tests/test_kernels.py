"""Every backend x kernel x dtype equals numpy within the bound of kernels.verify."""
import numpy as np
import pytest

from kernels.verify import check_matvec, check_sum, make_inputs, make_matvec_inputs, make_sum_input

from .conftest import WORKERS, open_or_skip

SIZES = sorted({0, 1, 2, 3, 7, 1000, 1025, WORKERS + 1})


@pytest.mark.parametrize("n", SIZES)
def test_matvec_resident_and_end_to_end(backend, n):
    A, x, _ = make_inputs(n, backend.dtype, seed=n)
    r = backend.put(A)
    y = backend.matvec(r, x)
    assert isinstance(y, np.ndarray) and y.dtype == backend.dtype and y.shape == (n,)
    check_matvec(y, A, x, backend.name)
    check_matvec(backend.matvec(A, x), A, x, backend.name)
    # A stays resident: a second x through the same placement
    x2 = x[::-1].copy()
    check_matvec(backend.matvec(r, x2), A, x2, backend.name)
    backend.free(r)


@pytest.mark.parametrize("n", SIZES)
def test_sum_resident_and_end_to_end(backend, n):
    _, _, a = make_inputs(n, backend.dtype, seed=n)
    s = backend.vector_sum(backend.put(a))
    assert np.asarray(s).dtype == backend.dtype
    check_sum(s, a, backend.name)
    check_sum(backend.vector_sum(a), a, backend.name)


# Either side of the sizes where numba (2**18 elements) and cython-openmp (2**13)
# switch between one thread and all workers: both paths must give the same answers.
SWITCH_SUM_N = [2**13 - 1, 2**13 + 3, 2**18 - 1, 2**18 + 3]
SWITCH_MATVEC_N = [90, 91, 511, 513]   # N*N: 8100 < 2**13 <= 8281; 261121 < 2**18 <= 263169


def test_both_sides_of_the_serial_switch(backend):
    for n in SWITCH_SUM_N:
        a = make_sum_input(n, backend.dtype, seed=n)
        check_sum(backend.vector_sum(backend.put(a)), a, backend.name)
    for n in SWITCH_MATVEC_N:
        A, x = make_matvec_inputs(n, backend.dtype, seed=n)
        check_matvec(backend.matvec(backend.put(A), x), A, x, backend.name)


def test_serial_switch_sizes_match_the_backends():
    from kernels.cython_openmp import backend as cython_backend
    from kernels.numba import backend as numba_backend
    for threshold in (numba_backend.SERIAL_BELOW, cython_backend.SERIAL_BELOW):
        assert min(SWITCH_SUM_N) < threshold <= max(SWITCH_SUM_N)
        assert any(n < threshold <= n + 4 for n in SWITCH_SUM_N)
        assert any(a * a < threshold <= b * b for a, b in zip(SWITCH_MATVEC_N, SWITCH_MATVEC_N[1:]))


def test_check_catches_a_wrong_answer():
    """The checks the suite relies on must fail on a plausible bug (one lost row / block)."""
    A, x, a = make_inputs(1025)
    y = A @ x
    y[-1] = 0.0
    with pytest.raises(AssertionError):
        check_matvec(y, A, x)
    with pytest.raises(AssertionError):
        check_sum(a[:-512].sum(), a)


@pytest.mark.filterwarnings("ignore:opencl backend:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_opencl_buffer_path_without_svm(monkeypatch, dtype):
    """Devices without fine-grain SVM (most GPUs) move x, y, partials by buffer copies.

    PoCL's CPU device has SVM, so the fixture above only runs the SVM path: here
    the device is made to report no SVM and every size is checked again.
    """
    pytest.importorskip("pyopencl")
    from kernels.opencl import backend as opencl_backend
    monkeypatch.setattr(opencl_backend, "has_fine_grain_svm", lambda cl, device: False)
    be = open_or_skip("opencl", dtype=dtype)
    try:
        assert be.describe()["transfer"].startswith("buffer copies")
        for n in SIZES:
            A, x, a = make_inputs(n, be.dtype, seed=n)
            r = be.put(A)
            check_matvec(be.matvec(r, x), A, x, be.name)
            check_matvec(be.matvec(r, x[::-1].copy()), A, x[::-1], be.name)
            check_matvec(be.matvec(A, x), A, x, be.name)
            be.free(r)
            check_sum(be.vector_sum(be.put(a)), a, be.name)
            check_sum(be.vector_sum(a), a, be.name)
    finally:
        be.close()


_NUMBA_CACHE_PROBE = r"""
import sys, numpy as np, numba
from kernels import get_backend
from kernels.numba import backend as numba_backend
if sys.argv[1] == "fill":          # compile both variants (serial first) into the cache
    with get_backend("numba", workers=2) as be:
        be.matvec(np.ones((3, 3)), np.ones(3))
        be.matvec(np.ones((600, 600)), np.ones(600))
else:                              # a new process: call only the parallel kernel
    _, (matvec, _), _ = numba_backend._compile()
    n = 600
    matvec(np.ones((n, n)), np.ones(n), np.empty(n),
           np.array([0, n // 2]), np.array([n // 2, n]))
    print("threading layer:", numba.threading_layer())   # raises if nothing ran in parallel
"""


def test_numba_parallel_kernel_stays_parallel_when_loaded_from_cache(tmp_path):
    """The serial and parallel numba variants must not share an on-disk cache entry.

    numba indexes its cache by function, not by the parallel flag: with one
    function decorated twice, a second process loaded the serial code for the
    parallel kernel.  ``numba.threading_layer()`` is only set once a parallel
    region has run, so it tells without timing anything.
    """
    pytest.importorskip("numba")
    import os
    import subprocess
    import sys
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    for step in ("fill", "load"):
        r = subprocess.run([sys.executable, "-c", _NUMBA_CACHE_PROBE, step], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
    assert "threading layer:" in r.stdout
    assert any(tmp_path.rglob("*.nbi")), "nothing was cached: the test proves nothing"
