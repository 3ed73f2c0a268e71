"""``seed-ipyparallel`` (seeds 000 and 003): psum on MPI engines, driven the seeds' way.

What seed 000 does in IPython, without the magics: engines started as one MPI
job (``ipcluster start --engines=MPIEngineSetLauncher``), ``view.run('sum.py')``
(here ``view.execute`` of an import of ``kernels.seeds.ipyparallel_psum``),
``view['x'] = x`` (every engine gets the whole array: ``put``), ``%px sum =
psum(x)`` (``view.execute`` of that line on every engine: a pickled
``comm.scatter`` from rank 0, ``nb_sum``, ``comm.reduce``) and ``view['sum']``
(a pull from every engine, of which rank 0's is the sum): two round trips
through the controller per call.  Seed 003 is the same setup with an
``Allreduce`` psum.  Sum only; the cluster (loopback, signing, reaper) is the
``ipyparallel`` backend's.
"""

import numpy as np

from ..base import Backend, BackendUnavailable
from ..ipyparallel.backend import IPyParallelBackend
from .base import SeedVersion
from .nb_sum import nb_sum_kernel


class SeedIPyParallel(SeedVersion, IPyParallelBackend):
    """Seed 000's ipyparallel psum on ``workers`` MPI engines (see module doc)."""

    name = "seed-ipyparallel"
    compares_to = "ipyparallel"
    kernels = ("sum",)
    seed = "000: psum on MPI engines (view['x'] = x; %px sum = psum(x); view['sum']); 003"

    def __init__(self, workers=None, dtype="float64"):
        super().__init__(workers=workers, dtype=dtype, engines="mpi")

    # the seed pushes the whole array at every call: the base class's placement
    _place = Backend._place
    _unplace = Backend._unplace

    def _open(self):
        try:
            nb_sum_kernel()
        except ImportError as exc:
            raise BackendUnavailable(f"{self.name} needs numba: {exc}") from exc
        super()._open()
        try:  # view.run('sum.py'), then one psum so nb_sum is compiled before any timing
            self._px("from kernels.seeds.ipyparallel_psum import psum")
            handle = self._put(np.ones(3, self.dtype))
            self._vector_sum(handle, 3)
            self._free(handle)
        except BaseException:
            self._close()
            raise

    def _px(self, code):
        """``%px code``: ``view.execute(code)`` on every engine, waited like every call."""
        self._run([lambda: self._all.execute(code, block=False)])

    def _put(self, array):
        handle = next(self._handles)
        self._run([lambda: self._all.push({f"x{handle}": array}, block=False)])  # view['x'] = x
        return handle

    def _free(self, handle):
        if not self._broken:
            self._px(f"del x{handle}")

    def _vector_sum(self, handle, n):
        self._px(f"sum = psum(x{handle})")  # %px sum = psum(x)
        # view['sum'] pulls from every engine; rank 0's value is the sum
        return self._run([lambda: self._views[0].pull("sum", block=False)])[0]
