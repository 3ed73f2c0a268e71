"""A/B on one machine: end-to-end time at the largest default N, old code vs this (cold, warm)."""

import json
import statistics
import sys
import time

import numpy as np

from kernels import get_backend


def med(f, reset=None, k=5):
    ts = []
    for _ in range(k):
        if reset:
            reset()
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


if __name__ == "__main__":
    name, kernel = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    arr = rng.random((8192, 8192)) if kernel == "matvec" else rng.random(2**26)
    x = np.ones(8192)
    with get_backend(name, workers=2) as be:
        call = (lambda: be.matvec(arr, x)) if kernel == "matvec" else (lambda: be.vector_sum(arr))
        call()
        out = {}
        if hasattr(be, "release_placements"):
            out["cold"] = med(call, be.release_placements)
            out["warm"] = med(call)
        else:
            out["old"] = med(call)
    print(
        json.dumps(
            {"backend": name, "kernel": kernel, **{k: round(v * 1e3, 1) for k, v in out.items()}}
        )
    )
