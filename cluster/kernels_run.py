"""Both kernels on the mpi backend, verified and timed; run on rank 0.

    mpiexec ... python -m kernels.mpi.world cluster/kernels_run.py --out FILE.json
    python cluster/kernels_run.py --workers 2 --out FILE.json   # spawned ranks, one host

Under ``kernels.mpi.world`` the backend uses the launcher's ranks (any hosts);
otherwise it spawns ``--workers`` ranks on this host.  For each kernel and N:
one call checked against numpy (``kernels.verify``), then, after 0.1 s of
untimed calls, the median seconds per call (``measuring.timing.timing_samples``:
batches of >= 2 ms, 3 to 9 samples, 2 s at most) of the resident call (data
placed once: only x and y, or nothing but the partial sums, move), of the
end-to-end call (the host array scattered to the ranks in every call), and of
numpy on one thread (rank 0 alone, the suite's serial baseline).  Writes JSON:
layout (where each rank ran), the backend's ``describe()``, the UCX transport,
and one row per case.
"""

import argparse
import json
import os
import statistics
import sys
import time

MATVEC_N = [256, 1024, 4096]
SUM_N = [2**16, 2**20, 2**24]


def _time(call, warm_s=0.1):
    """(median, samples) seconds per call, after ``warm_s`` seconds of untimed calls."""
    from measuring.timing import timing_samples

    end = time.perf_counter() + warm_s
    while time.perf_counter() < end:
        call()  # wakes sleeping ranks; the first calls after a pause were 3-60 ms here
    samples = timing_samples(call)
    return statistics.median(samples), samples


def _case(be, serial, kernel, n):
    from kernels.verify import check_matvec, check_sum, make_matvec_inputs, make_sum_input

    if kernel == "matvec":
        A, x = make_matvec_inputs(n)
        placed = be.put(A)
        calls = {
            "resident": lambda: be.matvec(placed, x),
            "end_to_end": lambda: be.matvec(A, x),
            "serial_numpy": lambda: serial.matvec(A, x),
        }
        for call in calls.values():
            check_matvec(call(), A, x, "mpi")
    else:
        a = make_sum_input(n)
        placed = be.put(a)
        calls = {
            "resident": lambda: be.vector_sum(placed),
            "end_to_end": lambda: be.vector_sum(a),
            "serial_numpy": lambda: serial.vector_sum(a),
        }
        for call in calls.values():
            check_sum(call(), a, "mpi")
    rows = []
    for mode, call in calls.items():
        median, samples = _time(call)
        row = {"kernel": kernel, "n": n, "mode": mode, "seconds": median}
        rows.append({**row, "samples_s": samples})
        be.rest()  # idle ranks spin after a call: they would take a core from the next mode
    be.free(placed)
    return rows


def run(workers, matvec_n, sum_n):
    """Open the mpi backend (the launcher's ranks, or ``workers`` spawned) and time every case."""
    from kernels import get_backend
    from kernels.mpi import world

    layout = world.LAYOUT  # None when the ranks are spawned here
    with get_backend("mpi", workers=workers) as be, get_backend("numpy", workers=1) as serial:
        describe = be.describe()
        if layout is None:
            layout = [world.host_identity()] + [None] * (be.workers - 1)
        rows = [r for n in matvec_n for r in _case(be, serial, "matvec", n)]
        rows += [r for n in sum_n for r in _case(be, serial, "sum", n)]
    return {
        "layout": layout,
        "launched": world.WORLD is not None,
        "describe": {k: str(v) for k, v in describe.items()},
        "UCX_TLS": os.environ.get("UCX_TLS", "UCX default"),
        "rows": rows,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--workers", type=int, help="spawned ranks (default: the launcher's)")
    parser.add_argument("--matvec", default=",".join(map(str, MATVEC_N)), help="matvec N list")
    parser.add_argument("--sum", default=",".join(map(str, SUM_N)), help="sum N list")
    ns = parser.parse_args(argv)
    ints = lambda s: [int(v) for v in s.split(",") if v]  # noqa: E731
    t0 = time.perf_counter()
    out = run(ns.workers, ints(ns.matvec), ints(ns.sum))
    out["wall_s"] = time.perf_counter() - t0
    with open(ns.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"kernels_run: {len(out['rows'])} cases in {out['wall_s']:.1f} s -> {ns.out}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
