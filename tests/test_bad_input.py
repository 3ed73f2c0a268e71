"""Bad input at the boundary of ``kernels``: the same answer from every backend.

Table-driven: each case in ``REFUSED`` runs on every backend x dtype (the
``backend`` fixture of conftest.py) and must raise the given error whose
message names the argument, what was expected and what was received.
``HANDLED`` inputs (Fortran order, strides, read-only, subclasses) must give
numpy's answer.  Policy (kernels.validate): only float64/float32 arrays are
accepted; other dtypes and mixed dtypes are refused with TypeError, never
converted; non-C-contiguous inputs are copied to C order.
"""

import re
import warnings

import numpy as np
import pytest

from kernels import BACKENDS, BackendClosed, BackendUnavailable, Resident, get_backend
from kernels.verify import check_matvec, check_sum, make_inputs

from .helpers import open_or_skip

pytestmark = [
    pytest.mark.timeout(60),
    # expected noise: np.matrix is a case here; numpy warns on inf - inf like any numpy
    # code; PoCL's thread count is fixed by the first opencl backend of the process
    pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:opencl backend:RuntimeWarning"),
]

N = 5


def _other(dtype):
    return np.dtype(np.float32 if dtype == np.float64 else np.float64)


def _inputs(dtype):
    A, x, a = make_inputs(N, dtype, seed=3)
    return A, x, a


# name -> (call(be, A, x, a, other_dtype), error type, regexes the message must match)
# {dt} in a regex is replaced by the backend's dtype name, {ot} by the other float dtype.
REFUSED = {
    "A 1-D": (
        lambda be, A, x, a, ot: be.matvec(x, x),
        ValueError,
        [r"\bA\b", r"2-D", r"\(N, N\)", r"\(5,\)"],
    ),
    "A 3-D": (
        lambda be, A, x, a, ot: be.matvec(A.reshape(1, N, N), x),
        ValueError,
        [r"\bA\b", r"2-D", r"\(1, 5, 5\)"],
    ),
    "A not square": (
        lambda be, A, x, a, ot: be.matvec(A[:3], x[:3]),
        ValueError,
        [r"\bA\b", r"square", r"\(N, N\)", r"\(3, 5\)"],
    ),
    "A not square, put": (
        lambda be, A, x, a, ot: be.put(A[:, :3]),
        ValueError,
        [r"\bA\b", r"square", r"\(5, 3\)"],
    ),
    "x wrong length": (
        lambda be, A, x, a, ot: be.matvec(A, x[:3]),
        ValueError,
        [r"\bx\b", r"\(5,\)", r"\(3,\)"],
    ),
    "x wrong length, resident A": (
        lambda be, A, x, a, ot: be.matvec(be.put(A), np.ones(7, x.dtype)),
        ValueError,
        [r"\bx\b", r"\(5,\)", r"\(7,\)"],
    ),
    "x 2-D": (
        lambda be, A, x, a, ot: be.matvec(A, x.reshape(N, 1)),
        ValueError,
        [r"\bx\b", r"1-D", r"\(N,\)", r"\(5, 1\)"],
    ),
    "a 2-D": (
        lambda be, A, x, a, ot: be.vector_sum(A),
        ValueError,
        [r"\ba\b", r"1-D", r"\(N,\)", r"\(5, 5\)"],
    ),
    "put 3-D": (
        lambda be, A, x, a, ot: be.put(np.ones((2, 2, 2), A.dtype)),
        ValueError,
        [r"1-D", r"2-D", r"\(2, 2, 2\)"],
    ),
    "put 0-D": (
        lambda be, A, x, a, ot: be.put(np.array(1.0, A.dtype)),
        ValueError,
        [r"1-D", r"2-D", r"\(\)"],
    ),
    "int A": (
        lambda be, A, x, a, ot: be.matvec(A.astype(np.int64), x),
        TypeError,
        [r"\bA\b", r"{dt}", r"int64", r"refused"],
    ),
    "int32 a": (
        lambda be, A, x, a, ot: be.vector_sum(np.arange(N, dtype=np.int32)),
        TypeError,
        [r"\ba\b", r"{dt}", r"int32", r"refused"],
    ),
    "complex x": (
        lambda be, A, x, a, ot: be.matvec(A, x.astype(np.complex128)),
        TypeError,
        [r"\bx\b", r"{dt}", r"complex128", r"refused"],
    ),
    "complex64 a": (
        lambda be, A, x, a, ot: be.vector_sum(a.astype(np.complex64)),
        TypeError,
        [r"\ba\b", r"complex64", r"refused"],
    ),
    "float16 a": (
        lambda be, A, x, a, ot: be.vector_sum(a.astype(np.float16)),
        TypeError,
        [r"\ba\b", r"float16", r"refused"],
    ),
    "longdouble x": (
        lambda be, A, x, a, ot: be.matvec(A, x.astype(np.longdouble)),
        TypeError,
        [r"\bx\b", r"float128|longdouble", r"refused"],
    ),
    "bool a": (lambda be, A, x, a, ot: be.vector_sum(a > 0), TypeError, [r"\ba\b", r"bool"]),
    "object a": (
        lambda be, A, x, a, ot: be.vector_sum(a.astype(object)),
        TypeError,
        [r"\ba\b", r"object"],
    ),
    "big-endian a": (
        lambda be, A, x, a, ot: be.vector_sum(a.astype(a.dtype.newbyteorder(">"))),
        TypeError,
        [r"\ba\b", r">f"],
    ),
    "mixed: x other float": (
        lambda be, A, x, a, ot: be.matvec(A, x.astype(ot)),
        TypeError,
        [r"\bx\b", r"{dt}", r"{ot}", r"mixed dtypes are refused"],
    ),
    "mixed: A other float": (
        lambda be, A, x, a, ot: be.matvec(A.astype(ot), x.astype(ot)),
        TypeError,
        [r"\bA\b", r"{dt}", r"{ot}", r"mixed dtypes are refused"],
    ),
    "mixed: resident A, x other": (
        lambda be, A, x, a, ot: be.matvec(be.put(A), x.astype(ot)),
        TypeError,
        [r"\bx\b", r"{dt}", r"{ot}"],
    ),
    "mixed: sum other float": (
        lambda be, A, x, a, ot: be.vector_sum(a.astype(ot)),
        TypeError,
        [r"\ba\b", r"{dt}", r"{ot}"],
    ),
    "list x": (
        lambda be, A, x, a, ot: be.matvec(A, x.tolist()),
        TypeError,
        [r"\bx\b", r"numpy\.ndarray", r"list", r"not converted"],
    ),
    "list a": (
        lambda be, A, x, a, ot: be.vector_sum([1.0, 2.0]),
        TypeError,
        [r"\ba\b", r"numpy\.ndarray", r"list"],
    ),
    "scalar a": (lambda be, A, x, a, ot: be.vector_sum(3.0), TypeError, [r"\ba\b", r"float"]),
    "masked a": (
        lambda be, A, x, a, ot: be.vector_sum(np.ma.masked_less(a, 0)),
        TypeError,
        [r"\ba\b", r"masked"],
    ),
    "resident x": (
        lambda be, A, x, a, ot: be.matvec(be.put(A), be.put(x)),
        TypeError,
        [r"\bx\b", r"numpy\.ndarray", r"Resident"],
    ),
    "sum of a resident matrix": (
        lambda be, A, x, a, ot: be.vector_sum(be.put(A)),
        ValueError,
        [r"1-D", r"\(5, 5\)"],
    ),
    "matvec of a resident vector": (
        lambda be, A, x, a, ot: be.matvec(be.put(a), x),
        ValueError,
        [r"2-D", r"\(5,\)"],
    ),
    "freed resident": (lambda be, A, x, a, ot: _freed(be, a), ValueError, [r"freed"]),
    "free a non-resident": (
        lambda be, A, x, a, ot: be.free(a),
        TypeError,
        [r"Resident", r"ndarray"],
    ),
}


def _freed(be, a):
    r = be.put(a)
    be.free(r)
    return be.vector_sum(r)


def _call(be, case):
    call, _, _ = REFUSED[case]
    A, x, a = _inputs(be.dtype)
    return call(be, A, x, a, _other(be.dtype))


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused(backend, case):
    _, err, patterns = REFUSED[case]
    with pytest.raises(err) as info:
        _call(backend, case)
    msg = str(info.value)
    for pat in patterns:
        pat = pat.format(dt=backend.dtype.name, ot=_other(backend.dtype).name)
        assert re.search(pat, msg), f"{case}: {pat!r} not in message {msg!r}"
    # a refused call leaves the backend usable
    A, x, a = _inputs(backend.dtype)
    check_matvec(backend.matvec(A, x), A, x, backend.name)


def test_same_refusal_in_every_backend():
    """Every backend raises the same type with the same message for each case."""
    seen = {case: {} for case in REFUSED}
    opened = []
    try:
        for name in BACKENDS:
            try:
                be = get_backend(name, workers=2).open()
            except BackendUnavailable:
                continue
            opened.append(be)
            for case in REFUSED:
                try:
                    _call(be, case)
                    seen[case][name] = "no error"
                except Exception as exc:  # noqa: BLE001 (the point is to compare them)
                    seen[case][name] = f"{type(exc).__name__}: {exc}"
    finally:
        for be in opened:
            be.close()
    if len(opened) < 2:
        pytest.skip("fewer than two backends available here")
    for case, by_backend in seen.items():
        # a Resident's repr names its backend; compare messages without it
        texts = {re.sub(r"<Resident [^ ]+ ", "<Resident ", m) for m in by_backend.values()}
        assert len(texts) == 1, f"{case}: backends disagree: {by_backend}"


# -- bad arguments to get_backend (no backend is opened) ---------------------


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize(
    "workers, err, pattern",
    [
        (0, ValueError, r"workers must be an integer >= 1, got 0"),
        (-2, ValueError, r"workers must be an integer >= 1, got -2"),
        (1.5, TypeError, r"workers must be an integer >= 1, got 1\.5"),
        (2.0, TypeError, r"workers must be an integer >= 1, got 2\.0"),
        ("2", TypeError, r"workers must be an integer >= 1, got '2'"),
        (True, TypeError, r"workers must be an integer >= 1, got True"),
    ],
)
def test_bad_workers(name, workers, err, pattern):
    with pytest.raises(err, match=pattern):
        get_backend(name, workers=workers)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize(
    "dtype",
    ["int64", np.int32, "complex128", np.complex64, "float16", "bool", "longdouble", "not-a-dtype"],
)
def test_bad_backend_dtype(name, dtype):
    with pytest.raises(TypeError, match=r"dtype must be float64 or float32, got"):
        get_backend(name, dtype=dtype)


@pytest.mark.parametrize("name", BACKENDS)
def test_good_workers_and_dtype_are_accepted(name):
    be = get_backend(name, workers=np.int64(2), dtype=np.float32)
    assert be.workers == 2 and be.dtype == np.float32 and not be.is_open


@pytest.mark.parametrize("name", ["cuda", "MPI", "", None, 3])
def test_unknown_backend_lists_the_known_ones(name):
    with pytest.raises(ValueError) as info:
        get_backend(name)
    msg = str(info.value)
    assert "unknown backend" in msg and repr(name) in msg
    for known in BACKENDS:
        assert known in msg


# -- inputs that are handled (copied to C order), not refused ----------------


def _handled_cases(dtype):
    rng = np.random.default_rng(7)
    big = rng.uniform(-1, 1, (2 * N, 2 * N)).astype(dtype)
    A, x, a = _inputs(dtype)
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
    A, x, _ = _inputs(backend.dtype)
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
    A, x, a = _inputs(np.dtype(np.float64))
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
