"""What the ipyparallel backend's engines run (sent by reference, imported on the engine).

It lives in ``kernels`` (not ``benchmarks``) because an engine unpickles a
function by importing its module by name.  Each engine keeps its row blocks in
``BLOCKS`` (handle -> ndarray), the module's global, which lives as long as the
engine.  Arrays arrive as zero-copy buffers (ipyparallel sends numpy arrays as
raw message frames, never pickled element by element).  ``store`` copies the
received frame once into memory numpy allocates: zmq's frame buffers are plain
4 KiB pages, while numpy asks for transparent huge pages on large arrays, and a
block matvec streaming from the frame ran at half the speed (17-39 ms against
10-12 ms per 4096 x 8192 block on the development machine).  The end-to-end
functions compute straight from the frame: a copy would cost more than it saves.

Every function here runs on one engine, on one thread (the block matvec is the
one-thread Cython loop; BLAS is never called), and returns small results:
y's block (rows,) or one float64 partial sum.

With MPI engines (``engines="mpi"``: the engines are the ranks of one MPI job)
``mpi_*`` run the collectives among the engines themselves: ``mpi_vector_sum``
is the seeds' psum (local float64 sum, then ``Allreduce`` over the engines'
COMM_WORLD); ``mpi_matvec`` gathers y with ``Gatherv`` to rank 0, which alone
returns it, so y comes back to the client through one engine.
"""

import numpy as np

#: handle -> this engine's block (ndarray): rows of A, or a slice of a vector
BLOCKS = {}


def store(block, handle):
    """Keep a copy of ``block`` as ``handle`` (replacing what the handle held); returns None."""
    BLOCKS[handle] = np.array(block)


def free(handle):
    """Forget ``handle``; returns None (a handle this engine never held is ignored)."""
    BLOCKS.pop(handle, None)


def _block_matvec(A, x):
    from kernels.compiled.block_matvec import block_matvec

    y = np.empty(A.shape[0], A.dtype)
    if A.shape[0]:
        block_matvec(A, x, y)
    return y


def matvec(handle, x):
    """y block (rows,) = stored rows @ x (x: (N,), the backend's dtype)."""
    return _block_matvec(BLOCKS[handle], x)


def vector_sum(handle):
    """float64 sum of the stored block."""
    return float(BLOCKS[handle].sum(dtype=np.float64))


def matvec_once(block, x):
    """End-to-end: y block of rows ``block`` (sent with this call, dropped after) @ x."""
    return _block_matvec(block, x)


def vector_sum_once(block):
    """End-to-end: float64 sum of ``block`` (sent with this call, dropped after)."""
    return float(block.sum(dtype=np.float64))


def pid_and_rank():
    """(pid, MPI rank in COMM_WORLD or -1 where mpi4py is not initialised here)."""
    import os
    import sys

    mpi = sys.modules.get("mpi4py.MPI")
    rank = mpi.COMM_WORLD.Get_rank() if mpi is not None and mpi.Is_initialized() else -1
    return os.getpid(), rank


def mpi_vector_sum(block):
    """psum: Allreduce(SUM) of the local float64 sums; rank 0 returns it, others None.

    ``block``: this engine's slice (the stored one for a handle, see ``mpi_call``).
    """
    from mpi4py import MPI

    total = np.array(block.sum(dtype=np.float64))
    MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, total, op=MPI.SUM)
    return float(total) if MPI.COMM_WORLD.Get_rank() == 0 else None


def mpi_matvec(A, x):
    """y = A @ x gathered with Gatherv to rank 0, which returns it; others return None."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    y_block = _block_matvec(A, x)
    counts = np.array(comm.allgather(y_block.shape[0]))
    y = np.empty(int(counts.sum()), y_block.dtype) if comm.Get_rank() == 0 else None
    comm.Gatherv(y_block, (y, counts) if y is not None else None, root=0)
    return y


def mpi_call(kernel, handle, *args):
    """``mpi_matvec`` / ``mpi_vector_sum`` on the stored block ``handle``."""
    block = BLOCKS[handle]
    return mpi_matvec(block, *args) if kernel == "matvec" else mpi_vector_sum(block)


def noop():
    """Nothing: the library's own round trip, the reference of the backend's floor."""


def compute_only(kernel, handle, x_handle=None):
    """The kernel on stored blocks, returning nothing: the engines' compute + one round trip.

    ``x_handle``: the stored full x (matvec).  The reference of the backend's
    call at large N (``IPyParallelBackend.reference_calls``).
    """
    if kernel == "matvec":
        _block_matvec(BLOCKS[handle], BLOCKS[x_handle])
    else:
        BLOCKS[handle].sum(dtype=np.float64)
