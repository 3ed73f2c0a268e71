"""Spawned rank: Merge high, serve bench commands (header = int64[3]: op, n, iters)."""
import os, sys, numpy as np
if os.environ.get('RS_PDEATHSIG'):
    import ctypes; ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG=1, SIGKILL: die with gforker
from mpi4py import MPI
parent = MPI.Comm.Get_parent()
comm = parent.Merge(high=True)
comm.Gather(np.array([os.getpid()], np.int64), None, root=0)
h = np.zeros(3, np.int64)
while True:
    comm.Bcast(h, root=0)
    op, n, it = (int(v) for v in h)
    if op == 0:
        break
    if op == 1:                      # 8-byte Bcast + Reduce round trips
        b = np.zeros(1); out = np.zeros(1)
        for _ in range(it):
            comm.Bcast(b, root=0); comm.Reduce(b, None, op=MPI.SUM, root=0)
    elif op == 2:                    # big Reduce
        a = np.ones(n)
        for _ in range(it):
            comm.Reduce(a, None, op=MPI.SUM, root=0)
    elif op == 3:                    # big Allreduce
        a = np.ones(n); r = np.empty(n)
        for _ in range(it):
            comm.Allreduce(a, r, op=MPI.SUM)
    elif op == 4:                    # hang around (to be killed)
        comm.Barrier()
comm.Free(); parent.Disconnect()
