"""Argument checks shared by every backend (the boundary of ``kernels``).

Every public kernel call goes through these, so all backends accept and refuse
exactly the same inputs with the same messages.
"""

import numbers
import os

import numpy as np

#: dtypes the kernels are written for.  Anything else is refused, never
#: silently converted: an integer or complex array given to a float kernel is
#: almost always a bug in the caller.
SUPPORTED_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def default_workers():
    """Cores this process may run on (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers):
    """Return ``workers`` as an int >= 1; None means all cores.

    Raises TypeError for a non-integer, ValueError for < 1.
    """
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise TypeError(f"workers must be an integer >= 1, got {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers}")
    return int(workers)


def check_dtype(dtype):
    """Return ``dtype`` as a numpy dtype if it is float32 or float64.

    Raises TypeError otherwise.
    """
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float64 or float32, got {dtype!r}") from exc
    if dt not in SUPPORTED_DTYPES:
        raise TypeError(f"dtype must be float64 or float32, got {dt}")
    return dt


_SHAPES = {1: "(N,)", 2: "(N, N)"}


def check_array(name, array, ndim, dtype):
    """Return ``array`` as a C-contiguous ndarray of ``dtype`` with ``ndim`` dims.

    Non-contiguous, negatively strided and Fortran-ordered inputs are copied
    to C order (handled, not refused); ndarray subclasses are viewed as plain
    ndarrays.  Raises TypeError if ``array`` is not an ndarray (lists are not
    converted), is a masked array (its mask would be ignored), or its dtype is
    not exactly ``dtype`` (mixed or non-float dtypes are refused, not
    converted), ValueError if its number of dimensions is wrong.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy.ndarray of dtype {dtype} and shape"
            f" {_SHAPES.get(ndim, ndim)}, got {type(array).__name__}: other types are"
            f" refused, not converted; use numpy.asarray({name}, dtype=numpy.{dtype.name})"
        )
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array: refused, because the kernels would ignore"
            f" its mask; pass {name}.filled(value) or {name}.compressed()"
        )
    if array.dtype not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{name} must have dtype {dtype}, got {array.dtype}: only float64 and"
            " float32 are supported; other dtypes are refused, not converted"
        )
    if array.dtype != dtype:
        raise TypeError(
            f"{name} must have dtype {dtype} (the backend's dtype), got {array.dtype}:"
            f" mixed dtypes are refused; convert with {name}.astype(numpy.{dtype.name})"
            f" or open the backend with dtype={array.dtype.name!r}"
        )
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D with shape {_SHAPES.get(ndim, ndim)},"
            f" got {array.ndim}-D shape {array.shape}"
        )
    return np.ascontiguousarray(array)


def check_matrix(A, dtype):
    """Check a matvec matrix: square (N, N) of ``dtype``; see check_array."""
    A = check_array("A", A, 2, dtype)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (N, N), got shape {A.shape}")
    return A


def check_vector(name, v, n, dtype):
    """Check a vector of length ``n`` (None: any length); see check_array."""
    v = check_array(name, v, 1, dtype)
    if n is not None and v.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) to match A, got {v.shape}")
    return v


def row_blocks(n, parts):
    """Row-block bounds [(start, stop), ...] of ``n`` rows over ``parts`` workers.

    Same rule as ``numpy.array_split``: the first ``n % parts`` blocks get one
    extra row; blocks may be empty when ``n < parts``.
    """
    base, extra = divmod(n, parts)
    bounds, start = [], 0
    for p in range(parts):
        stop = start + base + (1 if p < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds
