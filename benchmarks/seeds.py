"""The seeds' plain versions of the two kernels, timed like the suite's backends.

The reference each parbench backend must beat: the kernels as the seed
documents write them (``kernels.seeds``: ``Pool.map`` over pickled row blocks,
``comm.scatter`` of pickled chunks, the seed's OpenCL kernel, its serial numba
loop), with the same workers, dtype and resident data as the suite, in the same
asv run, so a ratio never mixes two runs.

* ``SeedMatVec`` / ``SeedVectorSum``: (variant, N), resident timing (what the
  seed has in place before its call is placed in setup), workers = the suite's.
* ``SeedRatio``: seed / backend time at the largest of those N, the two timed in
  alternation in one process and repeated over processes, with its 95% interval
  (the figure to read for "at least as fast").
  The variant names say which backend they compare to: ``seed-<backend>``
  (``seed-mpi-allreduce`` is a second MPI sum; see kernels.seeds).

Sizes: every other N of the suite's (the seeds pickle whole arrays per call,
so large N are slow; the results still share N with the suite's rows).
"""

from kernels.seeds import seed_version, variants
from measuring.timing import median_time

from . import common


class _SeedKernel(common.Benchmark):
    """Base of the seed benchmarks; subclasses set kernel, params."""

    kernel = None  # "matvec" or "sum"
    unit = "seconds"

    def setup(self, variant, n):
        self.call, _ = self.open_case(variant, self.kernel, n, factory=seed_version)

    def track_time(self, variant, n):
        return median_time(self.call)


class SeedMatVec(_SeedKernel):
    kernel = "matvec"
    params = [variants("matvec"), common.SETTINGS.sizes("matvec")[::2]]
    param_names = ["variant", "N"]


class SeedVectorSum(_SeedKernel):
    kernel = "sum"
    params = [variants("sum"), common.SETTINGS.sizes("sum")[::2]]
    param_names = ["variant", "N"]


# SeedRatio: seed time / parbench backend time, with its 95% interval (track_ratio,
# track_ratio_low/high), made from ``measuring.figures``: at the largest N of the
# seed benchmarks, both with resident data and the same workers, timed in
# alternation in one process and repeated over processes (``measuring.pairs``);
# > 1 means parbench is faster.
globals().update(common.figure_classes(__name__))
