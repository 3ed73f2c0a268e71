"""Speedups and end-to-end costs, each with its 95% interval (measured by ``benchmarks.pairs``).

Every figure here is a ratio timed in alternation in one process and repeated
over several processes (``pairs``); ``benchmarks.intervals`` makes the estimate
and interval.  asv stores one number per benchmark, so each figure is three
benchmarks read from one measurement (asv's ``setup_cache``, shared by every
benchmark that uses it): ``track_estimate``, ``track_low`` and ``track_high``
(the 95% bounds).

* ``MatVecSpeedup`` / ``VectorSumSpeedup`` (mode, backend, N): serial numpy time
  / backend time, resident and end-to-end (end-to-end only for the backends
  whose data lives away from the host: the others are skipped, NaN).
* ``MatVecTime`` / ``VectorSumTime`` (mode, backend, N): seconds per call of the
  same rounds (mode serial: the numpy baseline, backend "numpy"), so GB/s has
  an interval too.
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


class MatVecSpeedup(_Speedup):
    kernel = "matvec"
    params = [list(pairs.MODES), common.selected_backends(BACKENDS), common.sizes("matvec")]
    param_names = ["mode", "backend", "N"]


class VectorSumSpeedup(_Speedup):
    kernel = "sum"
    params = [list(pairs.MODES), common.selected_backends(BACKENDS), common.sizes("sum")]
    param_names = ["mode", "backend", "N"]


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


class _Time(_PerMode):
    quantity = "time"
    unit = "seconds"


class MatVecTime(_Time):
    kernel = "matvec"
    params = [["serial", *pairs.MODES], common.selected_backends(BACKENDS), common.sizes("matvec")]
    param_names = ["mode", "backend", "N"]


class VectorSumTime(_Time):
    kernel = "sum"
    params = [["serial", *pairs.MODES], common.selected_backends(BACKENDS), common.sizes("sum")]
    param_names = ["mode", "backend", "N"]


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
    from kernels import backend_class
    from kernels.base import BackendUnavailable

    out = []
    for name in common.selected_backends(BACKENDS):
        try:
            if hasattr(backend_class(name), "reference_calls"):
                out.append(name)
        except BackendUnavailable:
            pass
    return out


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
