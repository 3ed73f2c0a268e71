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

from kernels import BACKENDS

from . import common


class _Kernel(common.Benchmark):
    """Base of every kernel benchmark; subclasses set kernel, resident, serial."""

    kernel = None  # "matvec" or "sum"
    resident = True  # False: end-to-end timing
    serial = False  # True: numpy at one worker (the baseline)
    unit = "seconds"

    def setup(self, *params):
        backend, n = ("numpy", params[0]) if self.serial else params
        self.call, _ = self.open_case(
            backend, self.kernel, n, self.resident, n_workers=1 if self.serial else None
        )

    def track_time(self, *params):
        return common.median_time(self.call)


class MatVec(_Kernel):
    kernel = "matvec"
    params = [common.selected_backends(BACKENDS), common.sizes("matvec")]
    param_names = ["backend", "N"]


class MatVecEndToEnd(MatVec):
    resident = False
    params = [common.remote_backends(), common.sizes("matvec")]


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
    params = [common.remote_backends(), common.sizes("sum")]


class VectorSumSerial(_Kernel):
    kernel = "sum"
    serial = True
    params = [common.sizes("sum")]
    param_names = ["N"]
