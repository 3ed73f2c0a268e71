// Seed 004's dmv_cl kernel as the seed writes it.  A Python format template: N and the
// element type are filled in for each N by kernels/seeds/opencl.py.
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
