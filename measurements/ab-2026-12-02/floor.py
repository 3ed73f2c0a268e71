import os
import time

import numpy as np

from kernels import get_backend

if __name__ == "__main__":
    a = np.ones(1024)
    A = np.ones((64, 64))
    x = np.ones(64)
    with get_backend("mpi", workers=2) as be:
        ra = be.put(a)
        rA = be.put(A)
        for _ in range(2000):
            be.vector_sum(ra)
        ts = []
        tm = []
        for _ in range(9):
            t = time.perf_counter()
            for _ in range(2000):
                be.vector_sum(ra)
            ts.append((time.perf_counter() - t) / 2000)
            t = time.perf_counter()
            for _ in range(2000):
                be.matvec(rA, x)
            tm.append((time.perf_counter() - t) / 2000)
        print(
            os.environ.get("UCX_TLS"),
            f"sum {np.median(ts) * 1e6:.1f} us  matvec {np.median(tm) * 1e6:.1f} us",
        )
