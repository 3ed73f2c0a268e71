"""The kernels as the seed documents write them: the "plain versions" parbench must beat.

The seed documents parbench was made from (tutorials and course notes on parallel
Python: multiprocessing, mpi4py, numba, Cython+OpenMP, pyopencl, IPython Parallel)
show how people write these kernels today. Each class here is one of their recipes,
kept as they write it (communication pattern, pickles, per-call buffers, kernel
source) and changed only where it cannot run or is wrong: Python 2 (``print``, ``/``
on ints), blocks that assume N divisible by the worker count (here
``numpy.array_split`` rules, ``Allgatherv`` instead of ``Allgather``), float32 fixed
in the source (here the suite's dtype). Each class is a ``kernels.base.Backend``, so
the benchmarks (``benchmarks/seeds.py``) and tests use them exactly like a parbench
backend, through the backends' public interfaces only: ``open``/``close`` (or
``with``), ``put`` (what the seed has in place before its timed call), ``matvec(A,
x)`` / ``vector_sum(a)``.

Variants (``SEED_VERSIONS``; ``compares_to`` is the parbench backend it is the
plain version of):

* ``seed-multiprocessing`` (seed 004, "multiprocessing"): ``Pool(workers)``
  made once (spawn context); per call ``pool.map`` over pickled (row block of
  A, x) pairs, ``numpy.dot`` per block, ``numpy.concatenate``.  The blocks are
  made once by ``put`` (``array_split`` views in the driver) and pickled to the
  workers on every call.  Sum: the same ``pool.map`` over pickled chunks.  The
  seed shows ``Pool.map`` only on a toy task; this is its recipe applied to
  the two kernels.  The driver idles in ``map`` while the pool computes.
* ``seed-mpi`` (seeds 000 and 004): persistent ranks spawned once (by the ``mpi``
  backend, running the rank program ``kernels.seeds.mpi_rank``); rank 0 is the
  driver and computes a block, as in the seeds. Every rank holds the whole resident
  array, as every rank of the seeds loads it (``numpy.load`` in 004, ``view['x'] =
  ...`` in 000). matvec is seed 004's ``mpi-matrix-vector.py``: x reaches the ranks
  by ``comm.bcast`` (pickled; the seed loads it from a file), local
  ``numpy.dot(A[rows], x)``, ``Allgather`` of the parts (``Allgatherv`` here). Sum
  is seed 000's ``psum``: ``np.array_split`` on rank 0, ``comm.scatter`` of the
  pickled chunks, numba ``nb_sum`` (plain ``@nb.jit(nopython=True)``),
  ``comm.reduce``. See ``kernels.seeds.mpi_rank``.
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

* ``seed-ipyparallel`` (seeds 000 and 003): seed 000's psum on MPI engines, driven
  as the seed does in IPython: the whole array pushed to every engine, ``%px sum
  = psum(x)`` (``view.execute``: pickled ``comm.scatter``, ``nb_sum``,
  ``comm.reduce``), then a pull of ``sum``.  Sum only.

Not here: seed 004's Cython+OpenMP ``cy_matvec_omp`` (needs a compiled
extension; ``setup.py`` builds only parbench's own).

Modules: ``base`` (the variants' base class), ``nb_sum`` (seed 000's numba
loop), one module per variant family (``multiprocessing``, ``mpi`` with its
rank program ``mpi_rank``, ``opencl`` with the seed's ``dmv_cl.cl``, ``numba``,
``ipyparallel`` with its engines' ``ipyparallel_psum``).

Every variant pins BLAS to one thread in each of its processes while open, as
parbench's backends do (``kernels.blas``), so "same workers"
means the same number of busy threads.  Every call returns only when the
result is a host value.  Sums are accumulated in float64 whatever the dtype,
as in ``kernels.base`` (``nb_sum`` does so by itself: its ``sum = 0`` is
unified with the elements to float64).
"""

from .ipyparallel import SeedIPyParallel
from .mpi import SeedMPI, SeedMPIAllreduce
from .multiprocessing import SeedMultiprocessing
from .numba import SeedNumba
from .opencl import SeedOpenCL

__all__ = ["SEED_VERSIONS", "seed_version", "variants"]

#: variant name -> class, in the order used by benchmarks and reports
SEED_VERSIONS = {
    cls.name: cls
    for cls in (
        SeedMultiprocessing,
        SeedMPI,
        SeedMPIAllreduce,
        SeedOpenCL,
        SeedNumba,
        SeedIPyParallel,
    )
}


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
        raise ValueError(
            f"unknown seed variant {name!r}; known: {', '.join(SEED_VERSIONS)}"
        ) from None
    return cls(workers=workers, dtype=dtype)
