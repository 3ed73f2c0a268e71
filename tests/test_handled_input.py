"""Inputs every backend handles as numpy does, and calls on a closed backend.

``HANDLED`` inputs (Fortran order, strides, read-only, subclasses) and tiny N
(0, 1, fewer rows than workers) must give numpy's answer, NaN and inf must
propagate as in numpy, a result must not be a view of a backend's buffers,
and a call on a backend that is not open raises BackendClosed at once.  The
refused inputs are in tests/test_bad_input.py.
"""

import warnings

import numpy as np
import pytest

from kernels import BACKENDS, BackendClosed, BackendUnavailable, Resident, get_backend
from kernels.verify import check_matvec, check_sum, make_inputs

from .helpers import INPUT_TEST_MARKS, open_or_skip

pytestmark = INPUT_TEST_MARKS

N = 5


def _handled_cases(dtype):
    rng = np.random.default_rng(7)
    big = rng.uniform(-1, 1, (2 * N, 2 * N)).astype(dtype)
    A, x, a = make_inputs(N, dtype, seed=3)
    ro_A, ro_x = A.copy(), x.copy()
    ro_A.setflags(write=False)
    ro_x.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix
        mat_A = np.asmatrix(A)
    return {
        "Fortran-ordered A": (np.asfortranarray(A), x),
        "transposed A": (A.T, x),
        "strided A and x": (big[::2, ::2], big[0, ::2]),
        "negative strides": (A[::-1, ::-1], x[::-1]),
        "broadcast (0-stride, read-only) x": (A, np.broadcast_to(dtype.type(0.5), (N,))),
        "read-only A and x": (ro_A, ro_x),
        "np.matrix A": (mat_A, x),
    }


HANDLED = list(_handled_cases(np.dtype(np.float64)))


@pytest.mark.parametrize("case", HANDLED)
def test_handled_inputs_give_numpys_answer(backend, case):
    A, x = _handled_cases(backend.dtype)[case]
    Ac, xc = np.array(A, order="C"), np.array(x, order="C")  # what numpy computes on
    for A_arg in (A, backend.put(A)):  # end-to-end and resident
        y = backend.matvec(A_arg, x)
        assert type(y) is np.ndarray and y.shape == (N,) and y.dtype == backend.dtype
        check_matvec(y, Ac, xc, backend.name)
    a = x
    for a_arg in (a, backend.put(a)):
        s = backend.vector_sum(a_arg)
        assert np.asarray(s).dtype == backend.dtype
        check_sum(s, np.array(a), backend.name)


def test_result_is_not_a_view_of_backend_buffers(backend):
    """y from a resident call stays as it was after the next call (mp reuses scratch)."""
    A, x, _ = make_inputs(N, backend.dtype, seed=3)
    r = backend.put(A)
    y1 = backend.matvec(r, x)
    kept = y1.copy()
    backend.matvec(r, -x)
    np.testing.assert_array_equal(y1, kept)
    # Remote backends copied A when placing it; host backends (numpy, numba,
    # cython-openmp) keep a reference to the caller's C-contiguous array
    # (zero-copy), so they see a later change of it.
    A[...] = 0
    y3 = backend.matvec(r, x)
    if backend.data_is_remote:
        np.testing.assert_array_equal(y3, kept)
    else:
        np.testing.assert_array_equal(y3, np.zeros(N, backend.dtype))


# -- N = 0, N = 1, N < workers ----------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def three_workers(request):
    """Each backend with workers=3 (more workers than N for N <= 2).

    numba cannot run more threads than NUMBA_NUM_THREADS (the cores here): it
    gets workers=2 then, still more than N for N <= 1.
    """
    name = request.param
    try:
        be = get_backend(name, workers=3).open()
    except BackendUnavailable:
        be = open_or_skip(name, workers=2)
    yield be
    be.close()


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_n_gives_numpys_answer(three_workers, n):
    be = three_workers
    A, x, a = make_inputs(n, be.dtype, seed=11)
    for A_arg in (A, be.put(A)):
        y = be.matvec(A_arg, x)
        assert type(y) is np.ndarray and y.shape == (n,) and y.dtype == be.dtype
        if n <= 1:
            np.testing.assert_array_equal(y, A @ x)
        else:
            check_matvec(y, A, x, be.name)
    for a_arg in (a, be.put(a)):
        s = be.vector_sum(a_arg)
        assert np.asarray(s).dtype == be.dtype
        if n <= 1:
            assert s == a.sum()  # 0.0 for N = 0, a[0] for N = 1
        else:
            check_sum(s, a, be.name)


# -- NaN and inf propagate as in numpy ----------------------------------------


def _signature(v):
    """Per element: 'nan', '+inf', '-inf' or 'finite'."""
    v = np.atleast_1d(np.asarray(v, dtype=np.float64))
    return [
        "nan"
        if np.isnan(e)
        else ("+inf" if e == np.inf else ("-inf" if e == -np.inf else "finite"))
        for e in v
    ]


def _nonfinite_matvecs(dtype):
    """(A, x) pairs with NaN/inf in A (x finite) and in x."""
    n = 11  # odd, above the 8-way unrolled loops
    A = np.full((n, n), 0.5, dtype)
    x = np.ones(n, dtype)
    A[1, 2] = np.nan  # row 1: NaN
    A[2, 3] = np.inf  # row 2: +inf
    A[3, 4] = -np.inf  # row 3: -inf
    A[4, 5], A[4, 6] = np.inf, -np.inf  # row 4: inf - inf = NaN; others finite
    B = np.full((n, n), 0.5, dtype)
    z = np.ones(n, dtype)
    z[3] = np.inf  # every row meets inf:
    B[2, 3] = -1.0  # row 2: -inf
    B[4, 3] = 0.0  # row 4: 0 * inf = NaN
    B[5, 6] = -np.inf  # row 5: inf - inf = NaN; others +inf
    w = np.ones(n, dtype)
    w[0] = np.nan  # NaN in x: every row NaN
    return {"in A": (A, x), "inf in x": (B, z), "nan in x": (A * 0 + 1, w)}


SUM_CASES = {
    "inf": [1.0, np.inf, 2.0],
    "-inf": [1.0, -np.inf],
    "inf - inf": [np.inf, 1.0, -np.inf],
    "nan": [1.0, np.nan, 2.0],
    "nan and inf": [np.inf, np.nan],
}


def test_nan_and_inf_propagate_as_in_numpy(backend):
    for label, (A, x) in _nonfinite_matvecs(backend.dtype).items():
        with np.errstate(invalid="ignore"):
            expected = _signature(A @ x)
        assert "nan" in expected and len(set(expected)) >= (3 if label != "nan in x" else 1)
        for A_arg in (A, backend.put(A)):
            assert _signature(backend.matvec(A_arg, x)) == expected, label
    for label, values in SUM_CASES.items():
        a = np.array(values * 3, backend.dtype)  # a few blocks' worth
        with np.errstate(invalid="ignore"):
            want = _signature(a.sum())
        for a_arg in (a, backend.put(a)):
            assert _signature(backend.vector_sum(a_arg)) == want, label


# -- a call on a closed backend raises at once ---------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", BACKENDS)
def test_calls_on_a_closed_backend_raise(name):
    A, x, a = make_inputs(N, np.dtype(np.float64), seed=3)
    be = get_backend(name, workers=2)
    calls = {
        "put": lambda: be.put(a),
        "matvec": lambda: be.matvec(A, x),
        "vector_sum": lambda: be.vector_sum(a),
    }
    for call in calls.values():  # never opened
        with pytest.raises(BackendClosed, match=r"not open"):
            call()
    try:
        be.open()
    except BackendUnavailable as exc:
        pytest.skip(f"{name} unavailable here: {exc}")
    rA, ra = be.put(A), be.put(a)
    be.close()
    be.close()  # idempotent
    calls.update(
        {
            "resident matvec": lambda: be.matvec(rA, x),
            "resident vector_sum": lambda: be.vector_sum(ra),
            "free": lambda: be.free(rA),
        }
    )
    for call in calls.values():
        with pytest.raises(BackendClosed, match=r"not open"):
            call()
    # a Resident of the closed backend is refused by a new one
    with get_backend(name, workers=2) as other:
        with pytest.raises(ValueError, match=r"freed or belongs to another backend"):
            other.vector_sum(ra)
        assert isinstance(other.put(a), Resident)
