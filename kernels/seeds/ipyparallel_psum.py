"""Seed 000's ``psum`` as its engines run it: split on rank 0, ``scatter``, ``nb_sum``, ``reduce``.

The seed saves this function in ``sum.py`` and runs it on every engine with
``view.run('sum.py')``; ``kernels.seeds.ipyparallel`` imports it on the engines
instead (``view.execute``).  Runs on MPI engines only (one MPI job).
"""

import numpy as np

from .nb_sum import nb_sum_kernel


def psum(x):
    """Seed 000's psum of the whole array ``x`` that every engine holds; rank 0 returns the sum.

    The other ranks return their rank, as in the seed.
    """
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    size = comm.Get_size()
    if rank == 0:
        data = np.array_split(x, size)
    else:
        data = None

    data = comm.scatter(data, root=0)
    local_sum = nb_sum_kernel()(data)
    all_sum = comm.reduce(local_sum, root=0, op=MPI.SUM)

    if rank == 0:
        return all_sum
    else:
        return rank
