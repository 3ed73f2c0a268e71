"""Speedups and end-to-end costs, each with its 95% interval (measured by ``measuring.pairs``).

Every figure here is a ratio timed in alternation in one process and repeated
over several processes (``measuring.pairs``); ``measuring.intervals`` makes the estimate
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

The classes are made from the table ``measuring.figures`` (names, units,
parameters, keys), which the report reads them by too.

A figure that could not be measured (backend unavailable, too large for memory,
a measuring process failed) is asv's skip, with the reason on stderr.
"""

from . import common

globals().update(common.figure_classes(__name__))


class Measurement(common.Benchmark):
    """The paired measurement itself, as one asv benchmark (``track_figures``: how many
    figures it measured).  scripts/run-all.sh runs this one and writes the figures'
    numbers into asv's results itself (``measuring.asv_store``)."""

    unit = "figures"
    setup_cache = staticmethod(common.pairs.setup_cache)

    def track_figures(self, cache):
        return sum(1 for value in cache.values() if not isinstance(value, str))
