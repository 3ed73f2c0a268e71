"""The machine's memory-bandwidth ceiling, measured in the same asv run as the kernels.

STREAM-like (McCalpin, "Memory Bandwidth and Machine Balance", 1995): a read
(sum) of one array and a triad ``a = b + s*c`` over arrays far larger than the
caches, in compiled OpenMP code with all workers.  Reported as the best sample
in GB/s (1e9 bytes/s), as STREAM does: the ceiling, not a typical value.  The
triad counts 24 bytes per element (two reads, one write), as STREAM does.
"""
import numpy as np

from . import common

READ_ELEMENTS = 2**26    # 512 MiB of float64
TRIAD_ELEMENTS = 2**25   # 3 arrays x 256 MiB


class MemoryRoof:
    unit = "GB/s"
    processes = 2
    timeout = 600

    def setup(self):
        from kernels import BackendUnavailable
        from kernels._threads import BlasThreads
        from kernels._validate import check_workers
        from kernels.cython_backend import load_extension
        from kernels.memory import fmt_bytes, memory_limit

        needed = 8 * (READ_ELEMENTS + 3 * TRIAD_ELEMENTS)
        available, how = memory_limit()
        if needed > available:
            raise NotImplementedError(f"the roof arrays need {fmt_bytes(needed)} but {how}")

        try:
            self.ext = load_extension()
        except BackendUnavailable as exc:
            raise NotImplementedError(str(exc)) from exc
        self.blas = BlasThreads(1).start()
        self.threads = check_workers(common.workers())
        self.a = np.random.default_rng(2).uniform(-1, 1, READ_ELEMENTS)
        self.b = np.ones(TRIAD_ELEMENTS)
        self.c = np.ones(TRIAD_ELEMENTS)
        self.t = np.empty(TRIAD_ELEMENTS)

    def teardown(self):
        self.blas.stop()

    def _best_gbps(self, fn, nbytes):
        return nbytes / min(common.timing_samples(fn, repeats=10, budget=6.0)) / 1e9

    def track_read(self):
        return self._best_gbps(lambda: self.ext.stream_read(self.a, self.threads), self.a.nbytes)

    def track_triad(self):
        return self._best_gbps(
            lambda: self.ext.stream_triad(self.t, self.b, self.c, 3.0, self.threads),
            3 * self.t.nbytes)
