"""IPython Parallel engines on both test hosts: the seeds' setup, controller on one host.

    bash scripts/testcluster.sh up
    python -m cluster.ipp [--out measurements/multihost/ipyparallel] [--quick]

As root, with the cluster up.  Starts ``ipcontroller`` on pbnode1, listening on
its cluster address only (``--ip=10.213.7.1``), with a profile in a private
directory of the cluster's state (mode 0700, removed at the end); one
``ipengine`` per host, on pbnode1 directly and on the others through the
cluster's ssh (the engines read the controller's connection file: the hosts
share the file system); then the client, in pbnode1's namespace, scatters the
row blocks (``DirectView.scatter``), checks one call against numpy, and times
the seeds' resident call: push x, ``execute("y = A @ x")``, gather y (and
``execute("s = a.sum()")``, gather the partial sums).  Writes results.json:
layout (each engine's addresses), the interface byte counters of the run, and
median seconds per call (``measuring.timing.timing_samples``).

This is ipyparallel itself, not the ``ipyparallel`` backend (``kernels/ipyparallel``,
whose cluster is private to 127.0.0.1).  Note: ipyparallel 9.2.0's
``Client(url_file=...)`` ignores the keyword; the connection file is passed
positionally.  Exit status 3 where the cluster is down or ipyparallel missing.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .testbed import ROOT, STATE, Cluster

MATVEC_N = [1024, 4096]
SUM_N = [2**20, 2**24]


def _where():
    """On an engine: its IPv4 addresses (loopback excluded) and pid."""
    import os
    import socket

    import psutil

    addrs = psutil.net_if_addrs().values()
    found = [a.address for v in addrs for a in v if a.family == socket.AF_INET]
    return {"addresses": [a for a in found if not a.startswith("127.")], "pid": os.getpid()}


def _time(call):
    from measuring.timing import timing_samples

    call()
    samples = timing_samples(call)
    return statistics.median(samples), samples


def client(profile, matvec_n, sum_n, engines):
    """In pbnode1's namespace: the engines' layout and the timed, checked kernels."""
    import ipyparallel as ipp

    from kernels.verify import check_matvec, check_sum, make_matvec_inputs, make_sum_input

    rc = ipp.Client(str(Path(profile) / "security" / "ipcontroller-client.json"))
    rc.wait_for_engines(engines, timeout=120)
    dv = rc[:]
    out = {"layout": dv.apply_sync(_where), "rows": []}
    for n in matvec_n:
        A, x = make_matvec_inputs(n)
        dv.scatter("A", A, block=True)

        def matvec():
            dv.push({"x": x}, block=True)
            dv.execute("y = A @ x", block=True)
            return dv.gather("y", block=True)

        check_matvec(matvec(), A, x, "ipyparallel across hosts")
        t, samples = _time(matvec)
        out["rows"].append({"kernel": "matvec", "n": n, "seconds": t, "samples_s": samples})
    for n in sum_n:
        a = make_sum_input(n)
        dv.scatter("a", a, block=True)

        def vector_sum():
            dv.execute("s = float(a.sum())", block=True)
            return sum(dv.pull("s", block=True))

        check_sum(vector_sum(), a, "ipyparallel across hosts")
        t, samples = _time(vector_sum)
        out["rows"].append({"kernel": "sum", "n": n, "seconds": t, "samples_s": samples})
    rc.shutdown(hub=True, block=True)
    return out


def _start(argv, log):
    return subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
    )


def _wait_for(path, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"ipcontroller did not write {path} (exit {proc.poll()})")
        time.sleep(0.1)


def _start_engines(cluster, profile, logs, procs):
    """One ipengine per host: the first host's in its namespace, the others' over ssh."""
    first = cluster.hosts[0]
    engine = [sys.executable, "-m", "ipyparallel.engine", "--log-level=WARN"]
    engine.append(f"--file={profile}/security/ipcontroller-engine.json")
    for h in cluster.hosts:
        if h is first:
            argv = cluster.in_host(h, engine)
        else:
            remote = f"cd {ROOT} && exec {' '.join(engine)}"
            argv = cluster.in_host(first, ["ssh", "-F", str(cluster.ssh_config), h.name, remote])
        with open(logs / f"engine-{h.name}.log", "w") as log:
            procs.append(_start(argv, log))


def run(cluster, out_dir, quick):
    """Controller, engines, client; the record for results.json.  RuntimeError on failure."""
    py, first = sys.executable, cluster.hosts[0]
    profile = Path(tempfile.mkdtemp(prefix="ipp-", dir=STATE))  # 0700, inside the 0700 state
    logs, procs = out_dir / "logs", []
    logs.mkdir(parents=True, exist_ok=True)
    try:
        argv = [py, "-m", "ipyparallel.controller", f"--profile-dir={profile}"]
        argv += [f"--ip={first.address}", "--log-level=WARN"]
        with open(logs / "controller.log", "w") as log:
            procs.append(_start(cluster.in_host(first, argv), log))
        _wait_for(profile / "security" / "ipcontroller-engine.json", procs[0])
        _start_engines(cluster, profile, logs, procs)
        result = out_dir / "client.json"
        argv = [py, "-m", "cluster.ipp", "--client", str(profile), "--out", str(result)]
        argv += ["--engines", str(len(cluster.hosts))] + (["--quick"] if quick else [])
        before = cluster.veth_bytes()
        done = subprocess.run(cluster.in_host(first, argv), cwd=ROOT, timeout=600)
        after = cluster.veth_bytes()
        if done.returncode != 0:
            raise RuntimeError(f"the ipyparallel client failed ({done.returncode})")
        record = json.loads(result.read_text())
        result.unlink()
        record["veth_bytes"] = {h: [after[h][i] - before[h][i] for i in (0, 1)] for h in after}
        return record
    finally:
        _stop(procs)
        subprocess.run(["rm", "-rf", str(profile)])


def _stop(procs, timeout=10):
    """Wait for the controller and engines (the client shut them down); kill what is left."""
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "measurements" / "multihost" / "ipyparallel"))
    parser.add_argument("--quick", action="store_true", help="small sizes (tests)")
    parser.add_argument("--client", metavar="PROFILE", help=argparse.SUPPRESS)
    parser.add_argument("--engines", type=int, default=2, help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    matvec_n, sum_n = ([256], [65536]) if ns.quick else (MATVEC_N, SUM_N)
    if ns.client:  # the client half, run by `run` in the first host's namespace
        Path(ns.out).write_text(json.dumps(client(ns.client, matvec_n, sum_n, ns.engines)))
        return 0
    cluster = Cluster.load()
    try:
        import ipyparallel  # noqa: F401
    except ImportError:
        cluster = None
    if cluster is None:
        print("cluster.ipp: needs the test cluster up and ipyparallel", file=sys.stderr)
        return 3
    out_dir = Path(ns.out)
    t0 = time.perf_counter()
    record = run(cluster, out_dir, ns.quick)
    record["wall_s"] = time.perf_counter() - t0
    record["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    record["load_average_at_end"] = os.getloadavg()
    (out_dir / "results.json").write_text(json.dumps(record, indent=1) + "\n")
    for r in record["rows"]:
        print(f"cluster.ipp: {r['kernel']} N={r['n']}: {r['seconds'] * 1e3:.3f} ms per call")
    print(f"cluster.ipp: engines at {[e['addresses'] for e in record['layout']]}, {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
