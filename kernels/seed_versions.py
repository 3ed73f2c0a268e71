"""The kernels as the seed documents write them: the "plain versions" parbench must beat.

The seeds (``../shared/seeds/``, see its README) show how people write these
kernels today.  Each class here is one of their recipes, kept as they write it
(communication pattern, pickles, per-call buffers, kernel source) and changed
only where it cannot run or is wrong: Python 2 (``print``, ``/`` on ints),
blocks that assume N divisible by the worker count (here ``numpy.array_split``
rules, ``Allgatherv`` instead of ``Allgather``), float32 fixed in the source
(here the suite's dtype).  Each class is a ``kernels.base.Backend``, so the
benchmarks (``benchmarks/seeds.py``) and tests use them exactly like a parbench
backend: ``open``/``close`` (or ``with``), ``put`` (what the seed has in place
before its timed call), ``matvec(A, x)`` / ``vector_sum(a)``.

Variants (``SEED_VERSIONS``; ``compares_to`` is the parbench backend it is the
plain version of):

* ``seed-multiprocessing`` (seed 004, "multiprocessing"): ``Pool(workers)``
  made once (spawn context); per call ``pool.map`` over pickled (row block of
  A, x) pairs, ``numpy.dot`` per block, ``numpy.concatenate``.  The blocks are
  made once by ``put`` (``array_split`` views in the driver) and pickled to the
  workers on every call.  Sum: the same ``pool.map`` over pickled chunks.  The
  seed shows ``Pool.map`` only on a toy task; this is its recipe applied to
  the two kernels.  The driver idles in ``map`` while the pool computes.
* ``seed-mpi`` (seeds 000 and 004): persistent ranks spawned once (by the
  ``mpi`` backend's own spawn code, see ``SeedMPI``); rank 0 is the driver
  and computes a block, as in the seeds.  Every rank holds the whole resident
  array, as every rank of the seeds loads it (``numpy.load`` in 004, ``view['x']
  = ...`` in 000).  matvec is seed 004's ``mpi-matrix-vector.py``: x reaches the
  ranks by ``comm.bcast`` (pickled; the seed loads it from a file), local
  ``numpy.dot(A[rows], x)``, ``Allgather`` of the parts (``Allgatherv`` here).
  Sum is seed 000's ``psum``: ``np.array_split`` on rank 0, ``comm.scatter`` of
  the pickled chunks, numba ``nb_sum`` (plain ``@nb.jit(nopython=True)``),
  ``comm.reduce``.  See ``kernels._seed_mpi_worker``.
* ``seed-mpi-allreduce`` (seed 004's ``mpi-psum.py``; seed 003 is the same
  idea): sum only; every rank sums its slice of its own copy with ``np.sum``,
  then ``Allreduce`` of one double (buffers, no pickles).
* ``seed-opencl`` (seed 004's ``opencl-dense-mv.py``): the seed's ``dmv_cl``
  kernel (one work-item per row, accumulating straight into ``r[gid]`` in
  global memory, N compiled in by ``#define``), built for each N by ``put``
  together with the A and y buffers, as in the seed.  Per call: a new x buffer
  (``COPY_HOST_PTR``, the seed's only way in for x), a new kernel object
  (``program.dmv_cl`` makes one per access), launch with the implementation's
  local size (``None``), ``event.wait()``, ``enqueue_copy`` of y.  matvec only.
* ``seed-numba`` (seed 000): its ``nb_sum`` alone, the serial numba loop the
  seed runs inside each MPI rank: one thread whatever ``workers`` says.

Not here: seed 004's Cython+OpenMP ``cy_matvec_omp`` (needs a compiled
extension; ``setup.py`` builds only parbench's own), ipyparallel (seeds 000,
003, 004; not a parbench backend yet).

Every variant pins BLAS to one thread in each of its processes while open, as
parbench's backends do (DESIGN.md, "Oversubscription"), so "same workers"
means the same number of busy threads.  Every call returns only when the
result is a host value.  Sums are accumulated in float64 whatever the dtype,
as in ``kernels.base`` (``nb_sum`` does so by itself: its ``sum = 0`` is
unified with the elements to float64).
"""
import multiprocessing

import numpy as np

from . import mpi_backend, opencl_backend
from ._threads import BlasThreads, blas_description
from .base import Backend, BackendUnavailable

__all__ = ["SEED_VERSIONS", "seed_version", "variants", "nb_sum_kernel"]


# -- seed 000's numba kernel -------------------------------------------------
_nb_sum = None


def nb_sum_kernel():
    """Seed 000's ``nb_sum``, compiled lazily (numba is imported on first use)."""
    global _nb_sum
    if _nb_sum is None:
        import numba as nb

        @nb.jit(nopython=True)
        def nb_sum(x):
            sum = 0  # the seed's own name (shadows the builtin here only)
            for i in x:
                sum += i
            return sum

        _nb_sum = nb_sum
    return _nb_sum


class _SeedVersion(Backend):
    """Base of the seed variants: a Backend with the kernels the seed shows.

    ``kernels``: the kernels this variant has ("matvec", "sum"); a call to the
    other one raises NotImplementedError.  ``compares_to``: the parbench
    backend it is the plain version of.  ``seed``: where in the seeds it is.
    """

    kernels = ("matvec", "sum")
    compares_to = None
    seed = ""

    def _missing(self, kernel):
        return NotImplementedError(f"{self.name}: the seeds show no {kernel} for this variant")

    def _matvec(self, handle, n, x):
        raise self._missing("matvec")

    def _sum(self, handle, n):
        raise self._missing("vector sum")

    def describe(self):
        return {**super().describe(), "seed": self.seed, "compares_to": self.compares_to}


# -- multiprocessing ---------------------------------------------------------
_pool_blas = None


def _pin_blas():
    """Pool initializer: one BLAS thread per worker process (kept for its lifetime)."""
    global _pool_blas
    from threadpoolctl import threadpool_limits
    _pool_blas = threadpool_limits(limits=1, user_api="blas")


def _dot_block(args):
    """One task of the seed's pool.map: (row block of A, x) -> block @ x."""
    block, x = args
    return np.dot(block, x)


def _sum_chunk(chunk):
    """One task of the pool.map sum: the chunk's sum (float64 accumulation)."""
    return np.sum(chunk, dtype=np.float64)


class SeedMultiprocessing(_SeedVersion):
    name = "seed-multiprocessing"
    compares_to = "multiprocessing"
    seed = "004: multiprocessing.Pool + pool.map"
    data_is_remote = False  # the blocks stay in the driver and are pickled every call

    def _open(self):
        self._blas = BlasThreads(1).start()
        ctx = multiprocessing.get_context("spawn")
        self._pool = ctx.Pool(processes=self.workers, initializer=_pin_blas)
        try:  # every worker has started and imported numpy before any timing
            one = (np.zeros((1, 1), self.dtype), np.zeros(1, self.dtype))
            self._pool.map(_dot_block, [one] * self.workers, chunksize=1)
        except BaseException:
            self._close()
            raise

    def _close(self):
        pool, self._pool = getattr(self, "_pool", None), None
        if pool is not None:
            pool.terminate()  # what `with Pool() as pool:` does on exit
            pool.join()
        self._blas.stop()

    def describe(self):
        return {**super().describe(), "start_method": "spawn", "blas": blas_description()}

    def _put(self, array):
        # row blocks of A (or chunks of a) made once, kept in the driver as views
        return np.array_split(array, self.workers)

    def _matvec(self, blocks, n, x):
        parts = self._pool.map(_dot_block, [(block, x) for block in blocks])
        return np.concatenate(parts)

    def _sum(self, chunks, n):
        return sum(self._pool.map(_sum_chunk, chunks))


# -- MPI -----------------------------------------------------------------------
class _SpawnAs:
    """Stand-in for the ``MPI`` module whose ``COMM_SELF.Spawn`` starts ``module``.

    ``MPIBackend._spawn`` holds everything needed to spawn ranks from a plain
    Python process here (mpiexec on PATH, setsid, the pre-flight, the state of
    MPICH's process manager kept in ``mpi_backend``'s globals) but names its
    worker module itself; this lets the seed variants reuse it as it is.
    """

    def __init__(self, MPI, module):
        self._MPI = MPI
        self.COMM_SELF = _SpawnCommAs(MPI.COMM_SELF, module)

    def __getattr__(self, name):
        return getattr(self._MPI, name)


class _SpawnCommAs:
    expected = ["-m", "kernels._mpi_worker"]

    def __init__(self, comm, module):
        self._comm, self._module = comm, module

    def Spawn(self, command, args, maxprocs, info):  # MPI's method name
        if list(args) != self.expected:
            raise RuntimeError(f"mpi_backend._spawn now spawns {args!r}, not {self.expected!r}:"
                               " update kernels.seed_versions._SpawnCommAs")
        return self._comm.Spawn(command, args=["-m", self._module], maxprocs=maxprocs, info=info)


class SeedMPI(_SeedVersion, mpi_backend.MPIBackend):
    """Seed 004's matvec and seed 000's psum on persistent spawned ranks.

    Lifecycle, rank start-up, liveness checks and shutdown are the ``mpi``
    backend's (this is a subclass): the ranks run ``kernels._seed_mpi_worker``,
    which serves the same command headers with the seeds' code.  The command
    header (one small Ibcast per call, as in the ``mpi`` backend) replaces the
    seeds' way of starting the call on every rank (mpirun of a script or
    ipyparallel's ``%px``), so only the kernels' own communication differs.
    Blocking MPI calls as in the seeds: a rank dying mid-call hangs the driver
    (the ``mpi`` backend's checks cover only the header).
    """

    name = "seed-mpi"
    compares_to = "mpi"
    seed = "004: mpi-matrix-vector.py (bcast x, Allgather); 000: psum (scatter, nb_sum, reduce)"
    worker_module = "kernels._seed_mpi_worker"
    #: False: seed 000's psum (scatter, nb_sum, reduce); True: seed 004's (Allreduce)
    sum_allreduce = False

    def _open(self):
        try:
            nb_sum_kernel()  # numba importable here (the ranks need it too)
            from . import _seed_mpi_worker as sw
        except (ImportError, RuntimeError, OSError) as exc:
            raise BackendUnavailable(f"{self.name} needs mpi4py, an MPI library and numba:"
                                     f" {exc}") from exc
        self._sw = sw
        super()._open()
        # the driver (rank 0) runs the seeds' code too
        self._rank = sw.SeedRank(self._comm, wait=self._wait)
        try:  # compile nb_sum on every rank and warm the kernels before any timing
            A = np.ones((3, 3), self.dtype)
            if "matvec" in self.kernels:
                handle = self._put(A)
                self._matvec(handle, 3, A[0])
                self._free(handle)
            handle = self._put(A[0])
            self._sum(handle, 3)
            self._free(handle)
        except BaseException:
            self._close()  # base.close() does nothing after a failed open
            raise

    def _spawn(self, MPI, nprocs):
        return super()._spawn(_SpawnAs(MPI, self.worker_module), nprocs)

    def _matvec(self, handle, n, x):
        return self._command(self._sw.MATVEC, handle, n, 2, x)

    def _sum(self, handle, n):
        op = self._sw.SUM_ALLREDUCE if self.sum_allreduce else self._sw.SUM_SCATTER
        return self._command(op, handle, n, 1)


class SeedMPIAllreduce(SeedMPI):
    """Seed 004's ``mpi-psum.py``: local ``np.sum`` of each rank's slice, ``Allreduce``."""

    name = "seed-mpi-allreduce"
    kernels = ("sum",)
    seed = "004: mpi-psum.py (np.sum of the rank's slice, Allreduce); 003: psum (Allreduce)"
    sum_allreduce = True

    def _matvec(self, handle, n, x):
        raise self._missing("matvec")


# -- OpenCL --------------------------------------------------------------------
_DMV_SOURCE = """
//
// Matrix-vector multiplication: r = m * v
//
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define N %(mat_size)d
__kernel
void dmv_cl(__global %(real)s *m, __global %(real)s *v, __global %(real)s *r)
{
    int i, gid = get_global_id(0);

    r[gid] = 0;
    for (i = 0; i < N; i++)
    {
        r[gid] += m[gid * N + i] * v[i];
    }
}
"""


class SeedOpenCL(_SeedVersion):
    name = "seed-opencl"
    compares_to = "opencl"
    seed = "004: opencl-dense-mv.py (dmv_cl)"
    kernels = ("matvec",)
    data_is_remote = True

    def _open(self):
        cl = self._cl = opencl_backend._import_cl()
        # the seed takes platforms[0].get_devices()[0]; so does _pick_device unless
        # PYOPENCL_CTX says otherwise, and it applies workers to PoCL's thread count
        dev = self._device = opencl_backend._pick_device(cl, self.workers)
        if self.dtype == np.float64 and "cl_khr_fp64" not in dev.extensions:
            raise BackendUnavailable(f"device {dev.name!r} has no cl_khr_fp64")
        self._ctx = cl.Context([dev])
        self._queue = cl.CommandQueue(self._ctx)
        self._programs = {}
        self._blas = BlasThreads(1).start()

    def _close(self):
        self._queue.finish()
        self._programs.clear()
        self._queue = self._ctx = None
        self._blas.stop()

    def describe(self):
        d = super().describe()
        dev = getattr(self, "_device", None)
        if dev is not None:
            d.update(device=dev.name.strip(), platform=dev.platform.name.strip(),
                     compute_units=str(dev.max_compute_units))
        return d

    def _program(self, n):
        """The seed's program, built with N = n compiled in (once per n)."""
        if n not in self._programs:
            real = "double" if self.dtype == np.float64 else "float"
            src = _DMV_SOURCE % {"mat_size": n, "real": real}
            try:
                self._programs[n] = self._cl.Program(self._ctx, src).build()
            except self._cl.Error as exc:
                raise BackendUnavailable(f"the seed's dmv_cl does not build: {exc}") from exc
        return self._programs[n]

    def _put(self, array):
        if array.ndim != 2:
            raise self._missing("vector sum")
        n = array.shape[0]
        if n == 0:
            return None  # no 0-byte buffers in OpenCL, no launch of size 0
        cl, mf = self._cl, self._cl.mem_flags
        program = self._program(n)
        d_A_buf = cl.Buffer(self._ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=array)
        d_y_buf = cl.Buffer(self._ctx, mf.WRITE_ONLY, size=n * self.dtype.itemsize)
        return program, d_A_buf, d_y_buf

    def _free(self, handle):
        if handle is not None:
            for buf in handle[1:]:
                buf.release()

    def _matvec(self, handle, n, x):
        h_y = np.empty(n, self.dtype)
        if n == 0:
            return h_y
        cl, mf, queue = self._cl, self._cl.mem_flags, self._queue
        program, d_A_buf, d_y_buf = handle
        d_x_buf = cl.Buffer(self._ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=x)
        # program.dmv_cl(...) in the seed: a new kernel object per access (the
        # attribute form would warn from the second access on; same cost)
        dmv_cl = cl.Kernel(program, "dmv_cl")
        event = dmv_cl(queue, h_y.shape, None, d_A_buf, d_x_buf, d_y_buf)
        event.wait()
        cl.enqueue_copy(queue, h_y, d_y_buf)
        return h_y


# -- numba -----------------------------------------------------------------------
class SeedNumba(_SeedVersion):
    name = "seed-numba"
    compares_to = "numba"
    seed = "000: nb_sum (@nb.jit(nopython=True), serial)"
    kernels = ("sum",)

    def _open(self):
        try:
            self._nb_sum = nb_sum_kernel()
        except ImportError as exc:
            raise BackendUnavailable(f"numba cannot be imported: {exc}") from exc
        self._nb_sum(np.zeros(2, self.dtype))  # compile for this dtype before any timing

    def _close(self):
        pass

    def describe(self):
        return {**super().describe(), "threads": "1 (the seed's loop is serial)"}

    def _put(self, array):
        if array.ndim != 1:
            raise self._missing("matvec")
        return array

    def _sum(self, a, n):
        return self._nb_sum(a)


#: variant name -> class, in the order used by benchmarks and reports
SEED_VERSIONS = {cls.name: cls for cls in (SeedMultiprocessing, SeedMPI, SeedMPIAllreduce,
                                           SeedOpenCL, SeedNumba)}


def variants(kernel):
    """Names of the variants that have ``kernel`` ("matvec" or "sum")."""
    return [name for name, cls in SEED_VERSIONS.items() if kernel in cls.kernels]


def seed_version(name, workers=None, dtype="float64"):
    """Return an unopened seed variant; use it as ``with seed_version(...) as sv:``.

    Raises ValueError for an unknown name; ``open()`` raises BackendUnavailable
    when the variant cannot run here.
    """
    try:
        cls = SEED_VERSIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown seed variant {name!r}; known: {', '.join(SEED_VERSIONS)}") from None
    return cls(workers=workers, dtype=dtype)
