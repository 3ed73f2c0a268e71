// The opencl backend's device program (built by kernels/opencl/backend.py).
// REAL (double or float) comes from -DREAL; USE_FP64 when the device has cl_khr_fp64.
#ifdef USE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;   // sums accumulate in double whatever REAL is (base contract)
#else
typedef float acc_t;    // device without fp64 (float32 only): accumulate in float
#endif
typedef REAL real_t;

// y = A @ x, A (n, n) row-major.  Each work-item computes 4 consecutive rows
// (ROWS), so every x[j] it loads serves 4 rows, with 2 accumulators per row
// (8 in all: breaks the add-latency chain so LLVM can vectorise).  On PoCL's CPU
// device this was the fastest of the shapes tried (rows per work-item 1, 2, 4, 8;
// a work-group per row; columns split over a work-group; measurements in
// measurements/kernel-choices.md).  Accumulates in REAL, like BLAS gemv.  No explicit
// vloadN: vload4 is slower on PoCL, and vload8(double) returns wrong values on
// PoCL builds without AVX-512.
#define ROWS 4      // the body is written out for 4 rows; MATVEC_ROWS must match
__kernel void matvec(__global const real_t *A, __global const real_t *x,
                     __global real_t *y, const int n)
{
    const int r0 = get_global_id(0) * ROWS;
    if (r0 >= n) return;                        // global size is rounded up
    if (r0 + ROWS > n) {                        // the last n % ROWS rows
        for (int r = r0; r < n; r++) {
            __global const real_t *a = A + (size_t)r * n;
            real_t s = 0, t = 0;
            int j = 0;
            for (; j + 2 <= n; j += 2) { s += a[j] * x[j]; t += a[j + 1] * x[j + 1]; }
            if (j < n) s += a[j] * x[j];
            y[r] = s + t;
        }
        return;
    }
    __global const real_t *a0 = A + (size_t)r0 * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
    real_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    int j = 0;
    for (; j + 2 <= n; j += 2) {
        const real_t xa = x[j], xb = x[j + 1];
        s0 += a0[j] * xa; s1 += a1[j] * xa; s2 += a2[j] * xa; s3 += a3[j] * xa;
        t0 += a0[j + 1] * xb; t1 += a1[j + 1] * xb; t2 += a2[j + 1] * xb; t3 += a3[j + 1] * xb;
    }
    if (j < n) {
        const real_t xa = x[j];
        s0 += a0[j] * xa; s1 += a1[j] * xa; s2 += a2[j] * xa; s3 += a3[j] * xa;
    }
    y[r0] = s0 + t0; y[r0 + 1] = s1 + t1; y[r0 + 2] = s2 + t2; y[r0 + 3] = s3 + t3;
}

// part[g] = sum of the chunk of work-group g.  Each work-item sums a contiguous
// chunk (10-50x faster on PoCL's CPU device than the GPU-style interleaved
// i += global_size loop), then a tree reduction in local memory (L a power of 2).
__kernel void vector_sum(__global const real_t *a, __global acc_t *part, const long n,
                   __local acc_t *scratch)
{
    const int lid = get_local_id(0), L = get_local_size(0);
    const long T = get_global_size(0), g = get_global_id(0);
    const long stop = n * (g + 1) / T;
    long i = n * g / T;
    acc_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; i + 4 <= stop; i += 4) {
        s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
    }
    for (; i < stop; i++) s0 += a[i];
    scratch[lid] = (s0 + s1) + (s2 + s3);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) part[get_group_id(0)] = scratch[0];
}
