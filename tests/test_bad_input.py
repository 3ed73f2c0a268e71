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

import numpy as np
import pytest

from kernels import BACKENDS, BackendUnavailable, get_backend
from kernels.verify import check_matvec, make_inputs

from .helpers import INPUT_TEST_MARKS

pytestmark = INPUT_TEST_MARKS

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
