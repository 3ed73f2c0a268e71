"""The one-thread row-block matvec that multiprocessing workers and MPI ranks run.

``block_matvec(A, x, out)``: ``out[:] = A @ x`` on one thread, for A (rows, n)
and x (n,) C-contiguous, out (rows,) contiguous and writable, all float64 or all
float32; returns None.  ``DESCRIPTION`` says which implementation runs.

Why not ``numpy.matmul``: OpenBLAS's single-threaded dgemv streams about 21 GB/s
on the development machine while one core reads about 29 GB/s, so two dgemv
processes stay below the memory roof; the Cython loop (4 rows per pass) on one
thread streams about 28 GB/s there (N=8192 float64, 4096-row block).  Where the
extension is not built, ``numpy.matmul`` (BLAS gemv) serves instead: slower,
equally correct.
"""

import numpy as np

try:
    from . import openmp_loops
except ImportError:
    openmp_loops = None


def block_matvec(A, x, out):
    if openmp_loops is None:
        np.matmul(A, x, out=out)
    else:
        openmp_loops.matvec(A, x, out, 1)


DESCRIPTION = (
    "numpy.matmul (BLAS gemv) on one thread"
    if openmp_loops is None
    else "kernels.compiled.openmp_loops.matvec (4 rows per pass) on one thread"
)
