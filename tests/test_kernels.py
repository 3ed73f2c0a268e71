"""Every backend x kernel x dtype equals numpy within the bound of kernels.verify.

Cross-backend only: what one backend does on its own (opencl's buffer path,
numba's cache, ...) is in that backend's file, tests/test_<backend>.py.
"""

import numpy as np
import pytest

from kernels.verify import check_matvec, check_sum, make_inputs, make_matvec_inputs, make_sum_input

from .helpers import SIZES, SWITCH_MATVEC_N, SWITCH_SUM_N


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


def test_both_sides_of_the_serial_switch(backend):
    """Either side of numba's and cython-openmp's serial switch (SWITCH_*_N).

    Both paths of those two must give the same answers; every other backend is
    checked at these sizes too.  test_numba.py and test_cython_openmp.py check
    that the sizes straddle their backend's switch.
    """
    for n in SWITCH_SUM_N:
        a = make_sum_input(n, backend.dtype, seed=n)
        check_sum(backend.vector_sum(backend.put(a)), a, backend.name)
    for n in SWITCH_MATVEC_N:
        A, x = make_matvec_inputs(n, backend.dtype, seed=n)
        check_matvec(backend.matvec(backend.put(A), x), A, x, backend.name)


def test_check_catches_a_wrong_answer():
    """The checks the suite relies on must fail on a plausible bug (one lost row / block)."""
    A, x, a = make_inputs(1025)
    y = A @ x
    y[-1] = 0.0
    with pytest.raises(AssertionError):
        check_matvec(y, A, x)
    with pytest.raises(AssertionError):
        check_sum(a[:-512].sum(), a)
