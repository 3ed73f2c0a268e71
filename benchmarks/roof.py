"""The machine's memory-bandwidth ceiling, measured in the same asv run as the kernels.

STREAM-like (McCalpin, "Memory Bandwidth and Machine Balance", 1995): a read
(sum) of one array and a triad ``a = b + s*c`` over arrays far larger than the
caches, in compiled OpenMP code with all workers.  Reported as the best sample
in GB/s (1e9 bytes/s), as STREAM does: the ceiling, not a typical value.  The
triad counts 24 bytes per element (two reads, one write), as STREAM does.
"""
import numpy as np

from kernels import BackendUnavailable

from . import common

READ_ELEMENTS = 2**26    # 512 MiB of float64
TRIAD_ELEMENTS = 2**25   # 3 arrays x 256 MiB


class MemoryRoof:
    unit = "GB/s"
    processes = 2
    timeout = 600

    def setup(self):
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


class RoofFraction:
    """Achieved bandwidth as % of the roof, both timed in alternation in one process.

    The VM's memory bandwidth drifts by tens of percent over minutes (committed
    run 4b9f8e53: this read at 35.6 GB/s, the identical cython-openmp sum loop over
    512 MiB at 51.4 GB/s minutes later), so
    a kernel's GB/s divided by a roof measured minutes earlier is mostly noise.
    Here each round times the resident kernel, then (after a pause that lets the
    backend's spinning workers go idle) the STREAM-like read of the same host
    array with all workers; the result is the median over rounds of
    (kernel GB/s) / (read GB/s) * 100, at the largest N of the selected size set
    (with PARBENCH_SIZES=quick the data fits in cache: a smoke test, not a roof).
    """

    params = [["matvec", "sum"], None]  # backends filled in below
    param_names = ["kernel", "backend"]
    unit = "%"
    processes = 2
    timeout = 900
    rounds = 7

    def setup(self, kernel, backend):
        import time

        from kernels.cython_backend import load_extension

        from .suite import prepare_case

        self.sleep = time.sleep
        n = max(common.sizes(kernel))
        try:
            self.ext = load_extension()
        except BackendUnavailable as exc:
            raise NotImplementedError(str(exc)) from exc
        self.be = None
        self.be, self.call, host = prepare_case(backend, kernel, n, common.workers())
        self.nbytes = host.itemsize * (n * n + 2 * n if kernel == "matvec" else n)
        # the read kernel is float64: the same bytes, reinterpreted (whole float64s only)
        flat = host.reshape(-1)
        self.host = flat[:flat.nbytes // 8 * 8 // flat.itemsize].view(np.float64)

    def teardown(self, kernel, backend):
        if getattr(self, "be", None) is not None:
            self.be.close()

    def track_percent(self, kernel, backend):
        threads = self.be.workers
        ratios = []
        for _ in range(self.rounds):
            t_kernel = common.median_time(self.call, repeats=3, budget=1.0)
            self.sleep(0.3)  # mpi ranks spin for 0.25 s after a call: let them sleep
            t_read = min(common.timing_samples(lambda: self.ext.stream_read(self.host, threads),
                                               repeats=3, budget=1.0))
            ratios.append((self.nbytes / t_kernel) / (self.host.nbytes / t_read))
        return 100 * float(np.median(ratios))


def _backends():
    from kernels import BACKENDS

    return common.selected_backends(BACKENDS)


RoofFraction.params[1] = _backends()
