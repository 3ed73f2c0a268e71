"""The asv suite: matvec and vector sum, every backend, growing N, in seconds per call.

* ``MatVec`` / ``VectorSum``: resident time, (backend, N), workers = all cores.
* ``MatVecEndToEnd`` / ``VectorSumEndToEnd``: end-to-end time (place the host
  array, compute, return, free) for the backends whose data lives away from the
  host arrays; for the others the two are the same call, so it is not repeated.
  These are warm calls: the backend keeps the last call's placement for the
  next call of the same size (``kernels.placement_pool``).
* ``MatVecSerial`` / ``VectorSumSerial``: numpy with one worker (BLAS at one
  thread), the baseline of every speedup.

These six are the estimates of the paired measurement's times (``measuring.pairs``:
the median over processes of each process's median seconds per call, the same
calls that make the speedups), so nothing is timed twice; their classes are made
from the table ``measuring.figures``.  scripts/run-all.sh writes them into asv's
results without an asv process each (``measuring.asv_store``).

* ``MatVecEndToEndCold`` / ``VectorSumEndToEndCold``: the end-to-end call with
  the placement released before each timed call (``Backend.release_placements``,
  untimed), so every call allocates and first-touches its placement: what the
  first call of a size costs.  Only for the backends that keep placements
  (ipyparallel keeps none: its every end-to-end call is a cold one).  Timed here,
  one asv process per case: single calls (``measuring.timing.cold_time``).

A case that cannot run here is skipped (asv records NaN, not a failure), with
the reason printed to stderr (shown by ``asv run --show-stderr``): the backend
is unavailable (``BackendUnavailable`` from ``open``), or the case would not fit
in memory (``kernels.memory.check_fits``, checked after ``open`` and before the
data is allocated; lower the limit with ``PARBENCH_MEMORY_LIMIT``).
"""

from measuring.cases import pooling_backends
from measuring.timing import cold_time

from . import common

SETTINGS = common.SETTINGS


class _Cold(common.Benchmark):
    """End-to-end timing with an empty placement pool before every call."""

    kernel = None  # "matvec" or "sum"
    unit = "seconds"
    param_names = ["backend", "N"]

    def setup(self, backend, n):
        self.call, _ = self.open_case(backend, self.kernel, n, resident=False)

    def track_time(self, backend, n):
        return cold_time(self.call, self.opened[-1].release_placements)


class MatVecEndToEndCold(_Cold):
    kernel = "matvec"
    params = [pooling_backends(SETTINGS), SETTINGS.sizes("matvec")]


class VectorSumEndToEndCold(_Cold):
    kernel = "sum"
    params = [pooling_backends(SETTINGS), SETTINGS.sizes("sum")]


globals().update(common.figure_classes(__name__))
