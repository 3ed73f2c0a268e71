"""Speedups and end-to-end costs, each with its 95% interval (measured by ``benchmarks.pairs``).

Every figure here is a ratio timed in alternation in one process and repeated
over several processes (``pairs``); ``benchmarks.intervals`` makes the estimate
and interval.  asv stores one number per benchmark, so each figure is three
benchmarks read from one measurement (asv's ``setup_cache``, shared by every
benchmark that uses it): ``track_estimate``, ``track_low`` and ``track_high``
(the 95% bounds).

* ``MatVecSpeedup`` / ``VectorSumSpeedup`` (mode "resident", backend, N): serial
  numpy time / backend time; ``...SpeedupEndToEnd`` (mode "end-to-end"): the
  same for the end-to-end call, of the backends whose data lives away from the
  host.
* ``MatVecTime`` / ``VectorSumTime`` (mode "resident", backend, N): seconds per
  call of the same rounds, so GB/s has an interval too; ``...TimeEndToEnd`` the
  end-to-end call's, ``...TimeSerial`` (mode "serial", backend "numpy") the
  baseline's.
* ``MatVecEndToEndCost`` / ``VectorSumEndToEndCost`` (backend, N): end-to-end
  time / resident time of the same backend.
* ``MatVecCopyBound`` / ``VectorSumCopyBound`` (backend): at the largest N,
  end-to-end time / (a host copy of the operand into a touched array + the
  resident call); 1 means the end-to-end call costs no more than that copy.
* ``MatVecLibraryRatio`` / ``VectorSumLibraryRatio`` (backend, at): for the
  backends built on a library with calls of its own (ipyparallel), the resident
  call / the library's no-op call on the same workers at the smallest N, and /
  the library's call of the workers' compute alone at the largest N.

A figure that could not be measured (backend unavailable, too large for memory,
a measuring process failed) is asv's skip, with the reason on stderr.
"""

from kernels import BACKENDS

from . import common, pairs
from .pairs import setup_cache  # noqa: F401 (asv's setup_cache for every benchmark here)


class _Paired(common.Benchmark):
    """Base: ``setup`` finds the figure in the shared measurement or skips it."""

    quantity = None
    kernel = None
    unit = "ratio"

    def key(self, *params):
        raise NotImplementedError

    def setup(self, cache, *params):
        k = self.key(*params)
        self.value = [pairs.lookup(cache, k, i) for i in range(3)]

    def track_estimate(self, cache, *params):
        return self.value[0]

    def track_low(self, cache, *params):
        return self.value[1]

    def track_high(self, cache, *params):
        return self.value[2]


class _PerMode(_Paired):
    """A figure per (mode, backend, N)."""

    def key(self, mode, backend, n):
        return pairs.key(self.quantity, self.kernel, mode, backend, n)


class _Speedup(_PerMode):
    quantity = "speedup"
    unit = "x"


class _Time(_PerMode):
    quantity = "time"
    unit = "seconds"


# Each (quantity, mode) is a class of its own, whose mode parameter has one value:
# asv runs every parameter combination in a process of its own (about 0.5 s each),
# and a cross product of every mode with every backend would spend 600 of them
# on combinations that do not exist (end-to-end of numpy, serial of mpi).
_MODE_NAMES = ["mode", "backend", "N"]


class MatVecSpeedup(_Speedup):
    kernel = "matvec"
    params = [["resident"], common.selected_backends(BACKENDS), common.sizes("matvec")]
    param_names = _MODE_NAMES


class MatVecSpeedupEndToEnd(_Speedup):
    kernel = "matvec"
    params = [["end-to-end"], common.remote_backends(), common.sizes("matvec")]
    param_names = _MODE_NAMES


class VectorSumSpeedup(_Speedup):
    kernel = "sum"
    params = [["resident"], common.selected_backends(BACKENDS), common.sizes("sum")]
    param_names = _MODE_NAMES


class VectorSumSpeedupEndToEnd(_Speedup):
    kernel = "sum"
    params = [["end-to-end"], common.remote_backends(), common.sizes("sum")]
    param_names = _MODE_NAMES


class _EndToEndCost(_Paired):
    quantity = "end-to-end cost"

    def key(self, backend, n):
        return pairs.key(self.quantity, self.kernel, "end-to-end", backend, n)


class MatVecEndToEndCost(_EndToEndCost):
    kernel = "matvec"
    params = [common.remote_backends(), common.sizes("matvec")]
    param_names = ["backend", "N"]


class VectorSumEndToEndCost(_EndToEndCost):
    kernel = "sum"
    params = [common.remote_backends(), common.sizes("sum")]
    param_names = ["backend", "N"]


class MatVecTime(_Time):
    kernel = "matvec"
    params = [["resident"], common.selected_backends(BACKENDS), common.sizes("matvec")]
    param_names = _MODE_NAMES


class MatVecTimeEndToEnd(_Time):
    kernel = "matvec"
    params = [["end-to-end"], common.remote_backends(), common.sizes("matvec")]
    param_names = _MODE_NAMES


class MatVecTimeSerial(_Time):
    kernel = "matvec"
    params = [["serial"], ["numpy"], common.sizes("matvec")]
    param_names = _MODE_NAMES


class VectorSumTime(_Time):
    kernel = "sum"
    params = [["resident"], common.selected_backends(BACKENDS), common.sizes("sum")]
    param_names = _MODE_NAMES


class VectorSumTimeEndToEnd(_Time):
    kernel = "sum"
    params = [["end-to-end"], common.remote_backends(), common.sizes("sum")]
    param_names = _MODE_NAMES


class VectorSumTimeSerial(_Time):
    kernel = "sum"
    params = [["serial"], ["numpy"], common.sizes("sum")]
    param_names = _MODE_NAMES


class _CopyBound(_Paired):
    quantity = "copy bound"

    def key(self, backend):
        return pairs.key(self.quantity, self.kernel, "end-to-end", backend, None)


class MatVecCopyBound(_CopyBound):
    kernel = "matvec"
    params = [common.remote_backends()]
    param_names = ["backend"]


class VectorSumCopyBound(_CopyBound):
    kernel = "sum"
    params = [common.remote_backends()]
    param_names = ["backend"]


def library_backends():
    """The selected backends that offer the library's own calls (``reference_calls``)."""
    return common.backends_with("reference_calls", common.selected_backends(BACKENDS))


class _LibraryRatio(_Paired):
    quantity = "library ratio"
    param_names = ["backend", "at"]

    def key(self, backend, at):
        return pairs.key(self.quantity, self.kernel, "resident", backend, at)


class MatVecLibraryRatio(_LibraryRatio):
    kernel = "matvec"
    params = [library_backends(), list(pairs.LIBRARY_POINTS)]


class VectorSumLibraryRatio(_LibraryRatio):
    kernel = "sum"
    params = [library_backends(), list(pairs.LIBRARY_POINTS)]
