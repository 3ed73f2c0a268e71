"""The one-thread row-block matvec that multiprocessing workers and MPI ranks run.

``block_matvec(A, x, out)``: ``out[:] = A @ x`` on one thread, for A (rows, n)
and x (n,) C-contiguous, out (rows,) contiguous and writable, all float64 or all
float32; returns None.  ``DESCRIPTION`` says which implementation runs.

Why not ``numpy.matmul``: OpenBLAS's single-threaded dgemv streams about 21 GB/s
here while one core reads about 29 GB/s, so two dgemv processes stay below the
memory roof.  The Cython kernel ``kernels._openmp.matvec`` (4 rows per pass)
called with one thread streams 28.0 GB/s (measured here, N=8192 float64,
4096-row block, medians in one process).  Where the extension is not built,
``numpy.matmul`` (BLAS gemv) serves instead: slower, equally correct.
"""
import numpy as np

try:
    from . import _openmp
except ImportError:
    _openmp = None


def block_matvec(A, x, out):
    if _openmp is None:
        np.matmul(A, x, out=out)
    else:
        _openmp.matvec(A, x, out, 1)


DESCRIPTION = ("numpy.matmul (BLAS gemv) on one thread" if _openmp is None
               else "kernels._openmp.matvec (4 rows per pass) on one thread")
