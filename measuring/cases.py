"""One case (backend, kernel, N): which backends have it, its data, and opening it.

* ``backends_with`` / ``remote_backends`` / ``pooling_backends`` /
  ``library_backends``: the selected backends a figure exists for.
* ``case_inputs``: the seeded host data of one case.
* ``place_case``: place the data on an open backend and verify one call.
* ``prepare_case``: open a backend and place one case, or skip it (asv's
  NotImplementedError, with the reason on stderr).

dtype and workers come from the caller (the run's ``measuring.settings.Settings``),
never from the environment, so a measuring process uses its plan's values.
"""

import sys

from kernels import BACKENDS, BackendUnavailable, backend_class, get_backend
from kernels.memory import InsufficientMemory, check_fits
from kernels.verify import check_matvec, check_sum, make_matvec_inputs, make_sum_input


def backends_with(attribute, names):
    """The names in ``names`` whose backend class has a true ``attribute``, in order.

    A backend whose module cannot be imported here is kept: its setup records the
    skip and why.
    """
    kept = []
    for name in names:
        try:
            if getattr(backend_class(name), attribute, False):
                kept.append(name)
        except BackendUnavailable:
            kept.append(name)
    return kept


def remote_backends(settings):
    """The selected backends whose data lives away from the host arrays (``data_is_remote``)."""
    return backends_with("data_is_remote", settings.selected_backends(BACKENDS))


def pooling_backends(settings):
    """The selected remote backends that keep end-to-end placements (``pools_placements``).

    For the others a cold end-to-end call is the same as a warm one.
    """
    return backends_with("pools_placements", remote_backends(settings))


def library_backends(settings):
    """The selected backends that offer the library's own calls (``reference_calls``)."""
    return backends_with("reference_calls", settings.selected_backends(BACKENDS))


def case_inputs(kernel, n, dtype):
    """The seeded host data of one case: (A, x) for matvec, (a,) for the sum.

    A is (n, n), x and a are (n,), all of ``dtype`` ("float64" or "float32").
    """
    if kernel == "matvec":
        return make_matvec_inputs(n, dtype)
    return (make_sum_input(n, dtype),)


def place_case(be, kernel, n, inputs, resident=True, label=None):
    """Place ``inputs`` (from ``case_inputs``) on the open ``be``; verify one call.

    Returns ``(call, placed)``: ``call()`` runs the kernel once (resident: on
    data placed by ``put``; end-to-end: from the host arrays) and ``placed`` is
    the Resident to ``free`` (None for end-to-end).  Raises InsufficientMemory
    (before allocating) when the case does not fit, AssertionError for a wrong
    result.
    """
    check_fits(be, kernel, n, be.dtype, be.workers, resident, started=True)
    label = label or be.name
    data = be.put(inputs[0]) if resident else inputs[0]
    if kernel == "matvec":
        A, x = inputs
        call = lambda: be.matvec(data, x)  # noqa: E731
        check_matvec(call(), A, x, label)
    else:
        call = lambda: be.vector_sum(data)  # noqa: E731
        check_sum(call(), inputs[0], label)
    return call, (data if resident else None)


def reason(exc):
    """The skip reason of an exception: "<its type>: <its message>"."""
    return f"{type(exc).__name__}: {exc}"


def say_skipped(backend, kernel, n, why):
    """Print the line asv's log (``asv run --show-stderr``) carries for a skipped case."""
    print(f"parbench: skipped {kernel} {backend} N={n}: {why}", file=sys.stderr, flush=True)


def skip(backend, kernel, n, exc):
    """Record a skip: asv stores NotImplementedError in setup as NaN, not a failure.

    The reason goes to stderr too, so ``asv run --show-stderr`` logs it.
    """
    say_skipped(backend, kernel, n, reason(exc))
    raise NotImplementedError(reason(exc)) from exc


def prepare_case(backend, kernel, n, workers, dtype, resident=True, factory=None):
    """Open ``backend``, place and verify one case; return (backend, call, host array).

    ``workers``: int or None (all cores); ``dtype``: "float64" or "float32".
    ``factory(name, workers=, dtype=)`` makes the unopened backend (None:
    ``kernels.get_backend``; ``kernels.seeds.seed_version`` for a seed).

    ``call()`` runs the kernel once (resident: on data placed by ``put``;
    end-to-end: from the host arrays).  The host array is A (N, N) for matvec, a
    (N,) for the sum.  A case that cannot run here raises NotImplementedError
    (asv's skip) after printing why; a wrong result raises AssertionError.
    """
    factory = factory or get_backend
    try:
        be = factory(backend, workers=workers, dtype=dtype).open()
    except BackendUnavailable as exc:
        skip(backend, kernel, n, exc)
    try:
        # Before the data is allocated: a case too large is skipped, not killed.
        # The backend is open, so its processes are already counted as used.
        check_fits(be, kernel, n, dtype, be.workers, resident, started=True)
        inputs = case_inputs(kernel, n, dtype)
        call, _ = place_case(be, kernel, n, inputs, resident, label=backend)
        return be, call, inputs[0]
    except BaseException as exc:
        be.close()  # asv does not call teardown after a failed or skipped setup
        if isinstance(exc, InsufficientMemory):
            skip(backend, kernel, n, exc)
        raise
