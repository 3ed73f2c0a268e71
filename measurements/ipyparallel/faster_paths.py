"""Which of ipyparallel's ways of calling the engines is fastest for parbench's resident calls?

Run from the repository root: ``python measurements/ipyparallel/faster_paths.py
[processes] [rounds]`` (default 6 and 6: the interval needs 6; the committed
log ran 3, with the t interval of then).  Each process opens the ipyparallel
backend twice on the same machine, with local engines and with MPI engines
(2 engines each; idle engines wait in zmq's poll and use no core), places the
same data on both, and times in alternation (``measuring.timing.alternate``):

* ``direct``: the backend's path, one DirectView ``apply_async`` to all engines;
* ``per-engine``: one ``apply_async`` per engine, all sent, then all gathered;
* ``broadcast``: the same call through a BroadcastView;
* ``mpi``: the backend with MPI engines (sum: the engines' Allreduce; matvec:
  Gatherv to rank 0), one DirectView call, one engine's result used;
* ``no-op``: the library's no-op DirectView round trip (the reference).

for the sum at N = 2**10 and 2**22 and the matvec at N = 64 and 2048.  Each
path's time / ``direct``'s, per round, becomes an estimate and 95% interval over
the processes (``measuring.intervals.ratio_interval``).  Writes
``faster_paths.json`` next to this file and prints a markdown table.
"""

import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

CASES = [("sum", 2**10), ("sum", 2**22), ("matvec", 64), ("matvec", 2048)]
PATHS = ("direct", "per-engine", "broadcast", "mpi", "no-op")


def _calls(local, mpi, kernel, n):
    from kernels.ipyparallel import engine
    from kernels.verify import make_matvec_inputs, make_sum_input

    if kernel == "sum":
        a = make_sum_input(n, "float64")
        r, rm, args = local.put(a), mpi.put(a), ()
        fn, expect = engine.vector_sum, a.sum()
    else:
        A, x = make_matvec_inputs(n, "float64")
        r, rm, args = local.put(A), mpi.put(A), (x,)
        fn, expect = engine.matvec, A @ x
    client = local._cluster.client
    views, bview = local._views, client.broadcast_view(targets=local._all.targets)
    h = r.handle

    def per_engine():
        return [v.apply_async(fn, h, *args) for v in views]

    calls = {
        "direct": lambda: local._on_all(fn, h, *args),
        "per-engine": lambda: [p.get() for p in per_engine()],
        "broadcast": lambda: bview.apply_sync(fn, h, *args),
        "mpi": (lambda: mpi.vector_sum(rm)) if kernel == "sum" else (lambda: mpi.matvec(rm, x)),
        "no-op": lambda: local._all.apply_sync(engine.noop),
    }
    got = mpi.vector_sum(rm) if kernel == "sum" else mpi.matvec(rm, x)
    np.testing.assert_allclose(got, expect, rtol=1e-10)
    return calls


def one_process(rounds):
    """{"kernel N": {path: [per-round time / direct's time]}} of one process."""
    from kernels.ipyparallel.backend import IPyParallelBackend
    from measuring.timing import alternate

    out = {}
    with IPyParallelBackend(2) as local, IPyParallelBackend(2, engines="mpi") as mpi:
        for kernel, n in CASES:
            calls = _calls(local, mpi, kernel, n)
            rows = alternate([calls[p] for p in PATHS], rounds, repeats=1, min_batch=5e-3)
            med = [[float(np.median(side)) for side in row] for row in rows]
            out[f"{kernel} {n}"] = {
                p: [row[i] / row[0] for row in med] for i, p in enumerate(PATHS)
            } | {"direct seconds": [row[0] for row in med]}
    return out


def main(processes=6, rounds=6):
    from measuring.intervals import ratio_interval

    groups = []
    for i in range(processes):
        code = f"import sys; sys.path.insert(0, {ROOT!r}); import json; "
        code += "from measurements.ipyparallel import faster_paths as f; "
        code += f"print('RESULT', json.dumps(f.one_process({rounds})))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
        assert line, done.stdout[-2000:] + done.stderr[-2000:]
        groups.append(json.loads(line[0][7:]))
        print(f"process {i + 1}/{processes} done", file=sys.stderr)
    table = {}
    for case in groups[0]:
        table[case] = {
            p: tuple(ratio_interval([g[case][p] for g in groups]))[:3]
            for p in (*PATHS[1:], "direct seconds")
        }
    with open(os.path.join(os.path.dirname(__file__), "faster_paths.json"), "w") as f:
        json.dump({"processes": processes, "rounds": rounds, "ratios": table}, f, indent=1)
    print("| case | direct (s) | " + " | ".join(f"{p} / direct" for p in PATHS[1:]) + " |")
    print("|---|---:|" + "---:|" * (len(PATHS) - 1))
    for case, row in table.items():
        cells = [f"{e:.2f}x [{lo:.2f}, {hi:.2f}]" for e, lo, hi in (row[p] for p in PATHS[1:])]
        sec = row["direct seconds"][0]
        print(f"| {case} | {sec * 1e3:.2f} ms | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
