# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython+OpenMP kernels: matvec and vector sum over static row/vector blocks.

Built by setup.py with -fopenmp.  ``nthreads`` is passed to every prange (never
omp_set_num_threads, which would change the whole process).  The sum accumulates
in double whatever the input type (see kernels.base).
"""
from cython.parallel cimport prange

cdef extern from *:
    """
    #ifdef _OPENMP
    #define PARBENCH_OPENMP _OPENMP
    #else
    #define PARBENCH_OPENMP 0
    #endif
    """
    int PARBENCH_OPENMP

ctypedef fused real:
    float
    double


def openmp_version():
    """_OPENMP date macro of the runtime compiled against (e.g. 201511 = OpenMP 4.5)."""
    return PARBENCH_OPENMP


def matvec(const real[:, ::1] A, const real[::1] x, real[::1] y, int nthreads):
    """y[:] = A @ x.  A (N, N), x (N,), y (N,) C-contiguous, same dtype; static rows."""
    cdef Py_ssize_t n = A.shape[0], m = A.shape[1], i, j
    cdef real acc
    with nogil:
        for i in prange(n, schedule="static", num_threads=nthreads):
            acc = 0
            for j in range(m):
                acc = acc + A[i, j] * x[j]
            y[i] = acc


def vector_sum(const real[::1] a, int nthreads):
    """Return sum(a) as a Python float (double accumulation); static blocks."""
    cdef Py_ssize_t n = a.shape[0], i
    cdef double acc = 0
    with nogil:
        for i in prange(n, schedule="static", num_threads=nthreads):
            acc += a[i]
    return acc


def stream_read(const double[::1] a, int nthreads):
    """STREAM-like read of a (N,) float64: returns sum(a); time it for read GB/s."""
    return vector_sum(a, nthreads)


def stream_triad(double[::1] a, const double[::1] b, const double[::1] c,
                 double scalar, int nthreads):
    """STREAM triad a[:] = b + scalar * c (McCalpin, STREAM benchmark); moves 24 B/element."""
    cdef Py_ssize_t n = a.shape[0], i
    with nogil:
        for i in prange(n, schedule="static", num_threads=nthreads):
            a[i] = b[i] + scalar * c[i]
