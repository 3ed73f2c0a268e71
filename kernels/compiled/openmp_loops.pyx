# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython+OpenMP loops: matvec and vector sum over static row/vector blocks, STREAM loops.

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


cdef inline void _four_rows(const real* a, Py_ssize_t m, const real* x, real* y) noexcept nogil:
    """y[0:4] = the 4 rows of length m starting at a, times x: one pass over x."""
    cdef const real* a1 = a + m
    cdef const real* a2 = a1 + m
    cdef const real* a3 = a2 + m
    cdef real s0 = 0, s1 = 0, s2 = 0, s3 = 0, xj
    cdef Py_ssize_t j
    for j in range(m):
        xj = x[j]
        s0 = s0 + a[j] * xj
        s1 = s1 + a1[j] * xj
        s2 = s2 + a2[j] * xj
        s3 = s3 + a3[j] * xj
    y[0] = s0
    y[1] = s1
    y[2] = s2
    y[3] = s3


cdef inline real _one_row(const real* a, Py_ssize_t m, const real* x) noexcept nogil:
    cdef real s = 0
    cdef Py_ssize_t j
    for j in range(m):
        s = s + a[j] * x[j]
    return s


def matvec(const real[:, ::1] A, const real[::1] x, real[::1] y, int nthreads):
    """y[:] = A @ x.  A (n, m), x (m,), y (n,) C-contiguous, same dtype.

    Static blocks of 4 rows per prange step: each x[j] loaded serves 4 rows, so
    the loop streams A with a quarter of the x traffic (on the 2-core development
    machine, N=8192 float64: at the read roof with 2 threads, 28 GB/s on one
    thread where OpenBLAS dgemv streams 21 GB/s).  A block of rows from a larger
    matrix (m != n) is fine: the multiprocessing and mpi workers call this with
    nthreads=1.  nthreads=1 runs a plain loop with no OpenMP region at all:
    entering one, even for one thread, costs microseconds per call.
    """
    cdef Py_ssize_t n = A.shape[0], m = A.shape[1], b, i, quads = A.shape[0] // 4
    if n == 0:
        return
    if m == 0:
        y[:] = 0
        return
    cdef const real* a = &A[0, 0]
    cdef const real* px = &x[0]
    cdef real* py = &y[0]
    with nogil:
        if nthreads == 1:
            for b in range(quads):
                _four_rows(a + 4 * b * m, m, px, py + 4 * b)
        else:
            for b in prange(quads, schedule="static", num_threads=nthreads):
                _four_rows(a + 4 * b * m, m, px, py + 4 * b)
        for i in range(4 * quads, n):       # the last n % 4 rows
            py[i] = _one_row(a + i * m, m, px)


def vector_sum(const real[::1] a, int nthreads):
    """Return sum(a) as a Python float (double accumulation); static blocks.

    nthreads=1 runs a plain loop, with no OpenMP region (see matvec).
    """
    cdef Py_ssize_t n = a.shape[0], i
    cdef double acc = 0
    with nogil:
        if nthreads == 1:
            for i in range(n):
                acc += a[i]
        else:
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
