"""The asv suite: matvec and vector sum, every backend, growing N.

Thin by design: it sizes the data, picks a backend by name, places the data,
verifies one call against numpy, and times the kernel; it never branches on the
backend.  Every benchmark is a ``track_`` returning median seconds per call,
timed by ``common.median_time`` inside one process, because asv's own
``time_`` benchmarks re-run setup (rank start-up, JIT, data placement) before
every sample when a setup exists.

* ``MatVec`` / ``VectorSum``: resident timing, (backend, N), workers = all cores.
* ``MatVecEndToEnd`` / ``VectorSumEndToEnd``: end-to-end timing (place the host
  array, compute, return, free) for the backends whose data lives away from the
  host arrays; for the others the two are the same call, so it is not repeated.
* ``MatVecSerial`` / ``VectorSumSerial``: numpy with one worker (BLAS at one
  thread), the baseline of every speedup.

A case that cannot run here is skipped (asv records NaN, not a failure), with
the reason printed to stderr (shown by ``asv run --show-stderr``): the backend
is unavailable (``BackendUnavailable`` from ``open``), or the case would not fit
in memory (``kernels.memory.check_fits``, checked after ``open`` and before the
data is allocated; lower the limit with ``PARBENCH_MEMORY_LIMIT``).
"""
import sys

from kernels import BACKENDS, BackendUnavailable, backend_class, get_backend
from kernels.memory import InsufficientMemory, check_fits
from kernels.verify import check_matvec, check_sum, make_matvec_inputs, make_sum_input

from . import common


def _remote_backends():
    return [name for name in common.selected_backends(BACKENDS)
            if _is_remote(name)]


def _is_remote(name):
    try:
        return backend_class(name).data_is_remote
    except BackendUnavailable:
        return True  # cannot tell here; setup will record the skip and why


def _skip(backend, kernel, n, exc):
    """Record a skip: asv stores NotImplementedError in setup as NaN, not a failure.

    The reason goes to stderr too, so ``asv run --show-stderr`` logs it.
    """
    print(f"parbench: skipped {kernel} {backend} N={n}: {type(exc).__name__}: {exc}",
          file=sys.stderr, flush=True)
    raise NotImplementedError(f"{type(exc).__name__}: {exc}") from exc


def prepare_case(backend, kernel, n, workers, resident=True, factory=get_backend):
    """Open ``backend``, place and verify one case; return (backend, call, host array).

    ``factory(name, workers=, dtype=)`` makes the unopened backend (default
    ``kernels.get_backend``; ``kernels.seed_versions.seed_version`` for a seed).

    ``call()`` runs the kernel once (resident: on data placed by ``put``;
    end-to-end: from the host arrays).  The host array is A (N, N) for matvec, a
    (N,) for the sum.  A case that cannot run here raises NotImplementedError
    (asv's skip) after printing why; a wrong result raises AssertionError.
    """
    try:
        be = factory(backend, workers=workers, dtype=common.dtype()).open()
    except BackendUnavailable as exc:
        _skip(backend, kernel, n, exc)
    try:
        # Before the data is allocated: a case too large is skipped, not killed.
        # The backend is open, so its processes are already counted as used.
        check_fits(be, kernel, n, common.dtype(), be.workers, resident, started=True)
        if kernel == "matvec":
            A, x = make_matvec_inputs(n, common.dtype())
            data = be.put(A) if resident else A
            call = lambda: be.matvec(data, x)  # noqa: E731
            check_matvec(call(), A, x, backend)
            return be, call, A
        a = make_sum_input(n, common.dtype())
        data = be.put(a) if resident else a
        call = lambda: be.vector_sum(data)  # noqa: E731
        check_sum(call(), a, backend)
        return be, call, a
    except BaseException as exc:
        be.close()  # asv does not call teardown after a failed or skipped setup
        if isinstance(exc, InsufficientMemory):
            _skip(backend, kernel, n, exc)
        raise


class _Kernel:
    """Base of every kernel benchmark; subclasses set kernel, resident, serial."""

    kernel = None          # "matvec" or "sum"
    resident = True        # False: end-to-end timing
    serial = False         # True: numpy at one worker (the baseline)
    unit = "seconds"
    # two processes, in interleaved rounds (asv's default): a burst of noise from
    # a neighbour on this shared VM then hits one of two rounds, not the whole row
    processes = 2
    timeout = 900

    def setup(self, *params):
        backend, n = ("numpy", params[0]) if self.serial else params
        self.be = None
        self.be, self.call, _ = prepare_case(backend, self.kernel, n,
                                             1 if self.serial else common.workers(),
                                             self.resident)

    def teardown(self, *params):
        be = getattr(self, "be", None)
        if be is not None:
            be.close()

    def track_time(self, *params):
        return common.median_time(self.call)


class MatVec(_Kernel):
    kernel = "matvec"
    params = [common.selected_backends(BACKENDS), common.sizes("matvec")]
    param_names = ["backend", "N"]


class MatVecEndToEnd(MatVec):
    resident = False
    params = [_remote_backends(), common.sizes("matvec")]


class MatVecSerial(_Kernel):
    kernel = "matvec"
    serial = True
    params = [common.sizes("matvec")]
    param_names = ["N"]


class VectorSum(_Kernel):
    kernel = "sum"
    params = [common.selected_backends(BACKENDS), common.sizes("sum")]
    param_names = ["backend", "N"]


class VectorSumEndToEnd(VectorSum):
    resident = False
    params = [_remote_backends(), common.sizes("sum")]


class VectorSumSerial(_Kernel):
    kernel = "sum"
    serial = True
    params = [common.sizes("sum")]
    param_names = ["N"]
