"""Reference results and tolerances: every backend is checked against these.

Tolerances follow the standard forward error bound for recursive summation
(Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., sec. 3.1 and
4.2): ``|fl(sum) - sum| <= gamma_n * sum|a_i|`` with ``gamma_n = n*u / (1 - n*u)``
and ``u`` the unit roundoff of the accumulation.  The reference is computed in
float64 from the same inputs, so a wrong block, a lost row or a race shows as
an error many times the bound.
"""

import numpy as np


def _gamma(n, dtype):
    u = np.finfo(dtype).eps / 2
    nu = n * u
    return nu / (1 - nu) if nu < 0.5 else np.inf


def reference_matvec(A, x):
    """float64 ``A @ x`` (shape (N,)) for arrays of any float dtype."""
    return A.astype(np.float64, copy=False) @ x.astype(np.float64, copy=False)


def matvec_tolerance(A, x):
    """Per-row bound (shape (N,)): ``gamma_{N+2}(dtype) * |A| @ |x|`` plus dtype rounding."""
    n = A.shape[0]
    ax = np.abs(x).astype(np.float64)
    mag = np.empty(n, np.float64)
    step = max(1, (1 << 22) // max(n, 1))  # row chunks: no full-size |A| temporary
    for r in range(0, n, step):
        mag[r : r + step] = np.abs(A[r : r + step]).astype(np.float64, copy=False) @ ax
    return (_gamma(n + 2, A.dtype) + np.finfo(A.dtype).eps) * mag + np.finfo(A.dtype).tiny


def sum_tolerance(a):
    """Bound for a sum: float64 accumulation (or numpy's pairwise one in the dtype)."""
    n = a.shape[0]
    mag = float(np.abs(a).sum(dtype=np.float64))
    pairwise = _gamma(int(np.ceil(np.log2(n + 2))) + 2, a.dtype)
    return (_gamma(n + 2, np.float64) + pairwise + np.finfo(a.dtype).eps) * mag + np.finfo(
        a.dtype
    ).tiny


def check_matvec(y, A, x, backend="backend"):
    """Raise AssertionError if y (N,) differs from A @ x by more than the bound."""
    ref = reference_matvec(A, x)
    if y.shape != ref.shape:
        raise AssertionError(f"{backend} matvec: shape {y.shape}, expected {ref.shape}")
    err = np.abs(y.astype(np.float64) - ref)
    tol = matvec_tolerance(A, x)
    finite = np.isfinite(ref)
    bad = finite & ~(err <= tol)
    bad |= ~finite & ~((y == ref) | (np.isnan(y) & np.isnan(ref)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AssertionError(
            f"{backend} matvec wrong at row {i} of {len(y)}: got {y[i]!r},"
            f" expected {ref[i]!r} (tolerance {tol[i]:.3g})"
        )


def check_sum(s, a, backend="backend"):
    """Raise AssertionError if s differs from sum(a) by more than the bound."""
    ref = float(a.sum(dtype=np.float64))
    s = float(s)
    if np.isfinite(ref):
        ok = abs(s - ref) <= sum_tolerance(a)
    else:
        ok = (s == ref) or (np.isnan(s) and np.isnan(ref))
    if not ok:
        raise AssertionError(
            f"{backend} sum wrong: got {s!r}, expected {ref!r} (tolerance {sum_tolerance(a):.3g})"
        )


def make_matvec_inputs(n, dtype=np.float64, seed=0):
    """Seeded (A (n, n), x (n,)) uniform in [-1, 1), C-contiguous, of ``dtype``."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(-1.0, 1.0, size=(n, n)).astype(dtype, copy=False)
    x = rng.uniform(-1.0, 1.0, size=n).astype(dtype, copy=False)
    return A, x


def make_sum_input(n, dtype=np.float64, seed=1):
    """Seeded a (n,) uniform in [-1, 1), of ``dtype``."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=n).astype(dtype, copy=False)


def make_inputs(n, dtype=np.float64, seed=0):
    """(A, x, a) for small tests: make_matvec_inputs plus make_sum_input."""
    return (*make_matvec_inputs(n, dtype, seed), make_sum_input(n, dtype, seed + 1))
