"""ipyparallel backend: IPython Parallel engines hold the row blocks; the client drives.

``open`` starts a private cluster (``kernels.ipyparallel.cluster``): one
controller and ``workers`` engines on 127.0.0.1, signed messages, a private
profile, a reaper so nothing outlives the driver.  ``engines="local"`` (the
default) starts one process per engine with ipyparallel's local launcher;
``engines="mpi"`` starts them as the ranks of one MPI job (the seeds' setup).
The client (this process) only sends and receives: the engines are the
``workers`` busy processes.

Where the work and the collectives run (engine k holds block k of
``numpy.array_split``'s row split; ``kernels.ipyparallel.engine``):

* ``put``: each engine gets its block in one message (a zero-copy frame), all
  engines at once; a resident call then moves only x and the results.
* resident matvec: one DirectView call sends x to every engine; each returns
  its y block, which the client concatenates.  With MPI engines the engines
  gather y among themselves (``Gatherv`` to rank 0) and rank 0 alone returns it.
* resident sum: each engine returns its float64 partial sum and the client adds
  them.  With MPI engines: the seeds' psum, a local sum and ``Allreduce`` over
  the engines' COMM_WORLD, returned by rank 0.
* end-to-end: each engine gets its block with the call itself (one round trip,
  the block is dropped when the call returns); nothing is kept between calls.

Every call waits through ``EngineCluster.wait``: a dead engine raises
WorkerError within 50 ms, Ctrl-C raises KeyboardInterrupt; either leaves the
backend broken (an engine may still be busy with the interrupted call), so
later calls raise WorkerError until it is closed.
"""

import functools
import itertools

import numpy as np

from ..base import Backend, WorkerError
from ..compiled.block_matvec import DESCRIPTION as BLOCK_MATVEC
from ..validate import row_blocks
from . import engine
from .cluster import ENGINE_LAUNCHERS, EngineCluster


class _HostBlocks:
    """An end-to-end placement: the host array, sent to the engines with the call."""

    def __init__(self, array):
        self.array = array


class IPyParallelBackend(Backend):
    """The ipyparallel backend (see module doc); ``engines``: "local" or "mpi".

    Shapes/dtypes as in ``kernels.base``.  Extra errors: ``WorkerError`` when an
    engine dies or a task fails on one; ``BackendUnavailable`` from ``open``
    when ipyparallel (or, for "mpi", the mpich wheel) is missing.
    """

    name = "ipyparallel"
    data_is_remote = True

    def __init__(self, workers=None, dtype=np.float64, engines="local"):
        super().__init__(workers=workers, dtype=dtype)
        if engines not in ENGINE_LAUNCHERS:
            raise ValueError(f"engines={engines!r}; choose one of {', '.join(ENGINE_LAUNCHERS)}")
        self.engines = engines

    @classmethod
    def memory_parts(cls, kernel, n, dtype, workers, resident=True):
        from ..facts import operand_bytes, operand_name, vector_bytes
        from ..memory import PROCESS_BYTES

        s = np.dtype(dtype).itemsize
        return [
            (
                f"row blocks of {operand_name(kernel)} on the engines (one copy in all)",
                operand_bytes(kernel, n, s),
                "host",
            ),
            (
                "x and y on the engines and in flight",
                2 * workers * vector_bytes(kernel, n, s),
                "host",
            ),
            # each engine has a nanny; the controller has 4 scheduler processes
            (
                f"{2 * workers + 5} controller and engine processes",
                (2 * workers + 5) * PROCESS_BYTES,
                "process",
            ),
        ]

    # -- lifecycle -----------------------------------------------------------
    def _open(self):
        self._broken = False
        self._handles = itertools.count(1)
        self._cluster = EngineCluster(self.workers, self.engines).start()
        client = self._cluster.client
        # block k goes to the engine of rank k (MPI) or to the k-th engine id (local)
        ids = list(client.ids)
        if self.engines == "mpi":
            ranks = self._run([lambda: client[:].apply_async(engine.pid_and_rank)])[0]
            ids = [i for _, i in sorted(zip((r for _, r in ranks), ids))]
        self._views = [client[i] for i in ids]
        self._all = client[ids]

    def _close(self):
        self._cluster.stop()

    @property
    def _procs(self):
        """psutil.Process of each engine (tests kill one, as with mpi and multiprocessing)."""
        return list(self._cluster._engine_procs.values())

    def describe(self):
        d = {**super().describe(), **self._cluster.describe(), "block_matvec": BLOCK_MATVEC}
        import ipyparallel

        d["ipyparallel"] = ipyparallel.__version__
        d["collectives"] = (
            "matvec Gatherv and sum Allreduce among the MPI engines, result from rank 0"
            if self.engines == "mpi"
            else "y blocks and partial sums gathered by the client"
        )
        return d

    # -- calls ---------------------------------------------------------------
    def _run(self, submits):
        """Call each of ``submits`` (functions returning an ipyparallel AsyncResult) at
        once, then wait for all; return their results in order.

        A DirectView's result is a list (one value per engine).  Every failure (a
        dead engine, whose id the controller may already have dropped when the
        call is submitted; a task error; Ctrl-C) breaks the backend.
        """
        if self._broken:
            raise WorkerError("ipyparallel backend: broken by an earlier error; close it")
        try:
            pending = [self._cluster.submit(submit) for submit in submits]
            return [self._cluster.wait(r) for r in pending]
        except BaseException:
            self._broken = True
            raise

    def _on_all(self, fn, *args):
        """``fn(*args)`` on every engine in one DirectView call; the results in block order."""
        return self._run([lambda: self._all.apply_async(fn, *args)])[0]

    def _each_block(self, array, fn, *args):
        """``fn(block_k, *args)`` on engine k for every k at once; the results in block order."""
        blocks = [array[r0:r1] for r0, r1 in row_blocks(array.shape[0], self.workers)]
        return self._run(
            [
                functools.partial(view.apply_async, fn, block, *args)
                for view, block in zip(self._views, blocks)
            ]
        )

    def _put(self, array):
        handle = next(self._handles)
        self._each_block(array, engine.store, handle)
        return handle

    def _free(self, handle):
        if not isinstance(handle, _HostBlocks) and not self._broken:
            self._on_all(engine.free, handle)

    def reference_calls(self, kernel, resident, x=None):
        """The library's own calls on the same engines, to measure this backend against.

        ``resident``: a Resident from ``put`` (matvec: (N, N); sum: (N,)); ``x``
        (N,) for matvec, stored on every engine here (freed with the backend).
        Returns {"no-op": a blocking DirectView call of a function that does
        nothing, "compute": a blocking DirectView call in which every engine runs
        the kernel on its stored block and returns nothing}.  Each takes no
        argument; seconds per call are the caller's to time.
        """
        self._check_open()
        x_handle = None
        if kernel == "matvec":
            x_handle = next(self._handles)
            self._on_all(engine.store, x, x_handle)
        handle = resident.handle
        return {
            "no-op": lambda: self._all.apply_sync(engine.noop),
            "compute": lambda: self._all.apply_sync(engine.compute_only, kernel, handle, x_handle),
        }

    # end-to-end: the host array goes with the call (base._place / _unplace hooks)
    def _place(self, array):
        return _HostBlocks(array)

    def _unplace(self, array, handle, failed=False):
        pass

    def _matvec(self, handle, n, x):
        if isinstance(handle, _HostBlocks):
            return np.concatenate(self._each_block(handle.array, engine.matvec_once, x))
        if self.engines == "mpi":
            return self._on_all(engine.mpi_call, "matvec", handle, x)[0]
        return np.concatenate(self._on_all(engine.matvec, handle, x))

    def _vector_sum(self, handle, n):
        if isinstance(handle, _HostBlocks):
            return float(np.sum(self._each_block(handle.array, engine.vector_sum_once)))
        if self.engines == "mpi":
            return self._on_all(engine.mpi_call, "sum", handle)[0]
        return float(np.sum(self._on_all(engine.vector_sum, handle)))
