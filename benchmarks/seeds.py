"""The seeds' plain versions of the two kernels, timed like the suite's backends.

The reference each parbench backend must beat: the kernels as the seed
documents write them (``kernels.seed_versions``: ``Pool.map`` over pickled row
blocks, ``comm.scatter`` of pickled chunks, the seed's OpenCL kernel, its
serial numba loop), with the same workers, dtype and resident data as the
suite, in the same asv run, so a ratio never mixes two runs.

* ``SeedMatVec`` / ``SeedVectorSum``: (variant, N), resident timing (what the
  seed has in place before its call is placed in setup), workers = the suite's.
  The variant names say which backend they compare to: ``seed-<backend>``
  (``seed-mpi-allreduce`` is a second MPI sum; see kernels.seed_versions).

Sizes: every other N of the suite's (the seeds pickle whole arrays per call,
so large N are slow; the results still share N with the suite's rows).
"""
from kernels import BackendUnavailable
from kernels.seed_versions import seed_version, variants
from kernels.verify import check_matvec, check_sum, make_matvec_inputs, make_sum_input

from . import common


class _SeedKernel:
    """Base of the seed benchmarks; subclasses set kernel, params."""

    kernel = None          # "matvec" or "sum"
    unit = "seconds"
    processes = 2          # two interleaved rounds, as in the suite
    timeout = 900

    def setup(self, variant, n):
        if self.kernel == "matvec":
            A, x = make_matvec_inputs(n, common.dtype())
        else:
            a = make_sum_input(n, common.dtype())
        try:
            self.sv = seed_version(variant, workers=common.workers(), dtype=common.dtype()).open()
        except BackendUnavailable as exc:
            # asv records NotImplementedError in setup as a skip (NaN), not a failure
            raise NotImplementedError(str(exc)) from exc
        if self.kernel == "matvec":
            resident = self.sv.put(A)
            self.call = lambda: self.sv.matvec(resident, x)
            check_matvec(self.call(), A, x, variant)
        else:
            resident = self.sv.put(a)
            self.call = lambda: self.sv.vector_sum(resident)
            check_sum(self.call(), a, variant)

    def teardown(self, variant, n):
        sv = getattr(self, "sv", None)
        if sv is not None:
            sv.close()

    def track_time(self, variant, n):
        return common.median_time(self.call)


class SeedMatVec(_SeedKernel):
    kernel = "matvec"
    params = [variants("matvec"), common.sizes("matvec")[::2]]
    param_names = ["variant", "N"]


class SeedVectorSum(_SeedKernel):
    kernel = "sum"
    params = [variants("sum"), common.sizes("sum")[::2]]
    param_names = ["variant", "N"]
