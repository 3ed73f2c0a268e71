"""The machine's memory-bandwidth ceiling, measured in the same asv run as the kernels.

STREAM-like (McCalpin, "Memory Bandwidth and Machine Balance", 1995): a read
(sum) of one array and a triad ``a = b + s*c`` over arrays far larger than the
caches, in compiled OpenMP code with all workers.  Reported as the best sample
in GB/s (1e9 bytes/s), as STREAM does: the ceiling, not a typical value.  The
triad counts 24 bytes per element (two reads, one write), as STREAM does.
"""

import numpy as np

from kernels import BackendUnavailable
from kernels.blas import BlasThreads
from kernels.compiled import load_openmp_loops
from kernels.memory import fmt_bytes, memory_limit
from kernels.validate import check_workers
from measuring.timing import timing_samples

from . import common

READ_ELEMENTS = 2**26  # 512 MiB of float64
TRIAD_ELEMENTS = 2**25  # 3 arrays x 256 MiB


def _openmp_loops():
    """The compiled STREAM loops, or asv's skip (NotImplementedError) with the reason."""
    try:
        return load_openmp_loops()
    except BackendUnavailable as exc:
        raise NotImplementedError(str(exc)) from exc


class MemoryRoof(common.Benchmark):
    unit = "GB/s"
    timeout = 600

    def setup(self):
        needed = 8 * (READ_ELEMENTS + 3 * TRIAD_ELEMENTS)
        available, how = memory_limit()
        if needed > available:
            raise NotImplementedError(f"the roof arrays need {fmt_bytes(needed)} but {how}")

        self.ext = _openmp_loops()
        self.blas = BlasThreads(1).start()
        self.threads = check_workers(common.SETTINGS.workers)
        self.a = np.random.default_rng(2).uniform(-1, 1, READ_ELEMENTS)
        self.b = np.ones(TRIAD_ELEMENTS)
        self.c = np.ones(TRIAD_ELEMENTS)
        self.t = np.empty(TRIAD_ELEMENTS)

    def teardown(self):
        self.blas.stop()
        super().teardown()

    def _best_gbps(self, fn, nbytes):
        return nbytes / min(timing_samples(fn, repeats=10, budget=6.0)) / 1e9

    def track_read(self):
        return self._best_gbps(lambda: self.ext.stream_read(self.a, self.threads), self.a.nbytes)

    def track_triad(self):
        return self._best_gbps(
            lambda: self.ext.stream_triad(self.t, self.b, self.c, 3.0, self.threads),
            3 * self.t.nbytes,
        )


# RoofFraction: achieved bandwidth as % of the roof, with its 95% interval
# (track_percent, track_percent_low/high), made from ``measuring.figures``.  A
# shared machine's memory bandwidth drifts by tens of percent over minutes, so a
# kernel's GB/s divided by a roof measured minutes earlier is mostly noise.  Here
# (``measuring.pairs``) each round times the resident kernel and then several read
# kernels on the same host array (the compiled STREAM read and triad, the numba and
# numpy sums); the round's roof is the fastest of them and, for a sum (itself a
# read kernel), of the sum's own timing, so a sum cannot exceed 100% because one
# read kernel lost more to a neighbour's load than the backend did.  A matvec above
# 100% read faster than every read kernel of that round.  At the largest N of the
# selected size set (with PARBENCH_SIZES=quick the data fits in cache: a smoke
# test, not a roof).
globals().update(common.figure_classes(__name__))
