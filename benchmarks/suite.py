"""The asv suite: matvec and vector sum, every backend, growing N.

Thin by design: it sizes the data, picks a backend by name, places the data,
verifies one call against numpy, and times the kernel; it never branches on the
backend.  Every benchmark is a ``track_`` returning median seconds per call,
timed by ``measuring.timing.median_time`` inside one process, because asv's own
``time_`` benchmarks re-run setup (rank start-up, JIT, data placement) before
every sample when a setup exists.

* ``MatVec`` / ``VectorSum``: resident timing, (backend, N), workers = all cores.
* ``MatVecEndToEnd`` / ``VectorSumEndToEnd``: end-to-end timing (place the host
  array, compute, return, free) for the backends whose data lives away from the
  host arrays; for the others the two are the same call, so it is not repeated.
  These are warm calls: the backend keeps the last call's placement for the
  next call of the same size (``kernels.placement_pool``).
* ``MatVecEndToEndCold`` / ``VectorSumEndToEndCold``: the same call with the
  placement released before each timed call (``Backend.release_placements``,
  untimed), so every call allocates and first-touches its placement: what the
  first call of a size costs.  Only for the backends that keep placements
  (ipyparallel keeps none: its every end-to-end call is a cold one).
* ``MatVecSerial`` / ``VectorSumSerial``: numpy with one worker (BLAS at one
  thread), the baseline of every speedup.

A case that cannot run here is skipped (asv records NaN, not a failure), with
the reason printed to stderr (shown by ``asv run --show-stderr``): the backend
is unavailable (``BackendUnavailable`` from ``open``), or the case would not fit
in memory (``kernels.memory.check_fits``, checked after ``open`` and before the
data is allocated; lower the limit with ``PARBENCH_MEMORY_LIMIT``).
"""

from kernels import BACKENDS
from measuring.cases import pooling_backends, remote_backends
from measuring.timing import cold_time, median_time

from . import common

SETTINGS = common.SETTINGS


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
        return median_time(self.call)


class _Cold(_Kernel):
    """End-to-end timing with an empty placement pool before every call."""

    resident = False

    def track_time(self, *params):
        return cold_time(self.call, self.opened[-1].release_placements)


class MatVec(_Kernel):
    kernel = "matvec"
    params = [SETTINGS.selected_backends(BACKENDS), SETTINGS.sizes("matvec")]
    param_names = ["backend", "N"]


class MatVecEndToEnd(MatVec):
    resident = False
    params = [remote_backends(SETTINGS), SETTINGS.sizes("matvec")]


class MatVecEndToEndCold(_Cold):
    kernel = "matvec"
    params = [pooling_backends(SETTINGS), SETTINGS.sizes("matvec")]
    param_names = MatVec.param_names


class MatVecSerial(_Kernel):
    kernel = "matvec"
    serial = True
    params = [SETTINGS.sizes("matvec")]
    param_names = ["N"]


class VectorSum(_Kernel):
    kernel = "sum"
    params = [SETTINGS.selected_backends(BACKENDS), SETTINGS.sizes("sum")]
    param_names = ["backend", "N"]


class VectorSumEndToEnd(VectorSum):
    resident = False
    params = [remote_backends(SETTINGS), SETTINGS.sizes("sum")]


class VectorSumEndToEndCold(_Cold):
    kernel = "sum"
    params = [pooling_backends(SETTINGS), SETTINGS.sizes("sum")]
    param_names = VectorSum.param_names


class VectorSumSerial(_Kernel):
    kernel = "sum"
    serial = True
    params = [SETTINGS.sizes("sum")]
    param_names = ["N"]
