import os
import statistics
import time

import numpy as np

from kernels import get_backend

if __name__ == "__main__":
    a = np.random.default_rng(0).random(2**26)
    with get_backend("mpi", workers=2) as be:
        r = be.put(a)
        be.vector_sum(r)
        ts = []
        for _ in range(15):
            t = time.perf_counter()
            be.vector_sum(r)
            ts.append(time.perf_counter() - t)
        m = statistics.median(ts)
        print(
            f"{os.environ.get('UCX_TLS')} mpi sum 2^26 resident:"
            f" {m * 1e3:.1f} ms = {a.nbytes / m / 1e9:.2f} GB/s"
        )
