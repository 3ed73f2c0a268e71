"""The multi-host run: ping-pong and both kernels across the test cluster's hosts.

    bash scripts/testcluster.sh up
    python -m cluster.multihost [--out measurements/multihost] [--quick]
    bash scripts/testcluster.sh down

As root, with the cluster up.  Three settings, each run with MPICH's hydra
(``cluster.testbed``) from the first host:

* ``one-host-sm``: 2 ranks on pbnode1, ``UCX_TLS=sm,self`` (what the asv suite's
  spawned mpi backend uses);
* ``two-hosts-ucx-default``: 1 rank on each of pbnode1 and pbnode2, UCX left to
  choose: it sees one kernel and uses shared memory, so (as the veth counters
  show) the payload does not cross the network;
* ``two-hosts-tcp``: the same placement with ``UCX_TLS=tcp,self``: the payload
  crosses the veth/bridge network.

In each: ``python -m kernels.mpi.pingpong`` (8 B .. 64 MiB, pickle and buffer)
and ``python -m kernels.mpi.world cluster/kernels_run.py`` (both kernels,
verified, resident and end-to-end, numpy serial baseline); around each job the
byte counters of every host's interface.  Writes to ``--out``: results.json
(everything, with the host layout each job reported), summary.md (the tables),
pingpong.png/.svg (``cluster.figure``), logs/ (each job's stdout and stderr).
Exit status 3 (and why) where the cluster is not up.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from .testbed import ROOT, SHARED_MEMORY, TCP, Cluster, Job

SETTINGS = [
    ("one-host-sm", 1, 2, SHARED_MEMORY),
    ("two-hosts-ucx-default", 2, 1, {}),
    ("two-hosts-tcp", 2, 1, TCP),
]
QUICK = {"pingpong": ["--sizes", "8,4096,1048576", "--budget", "0.05"]}
QUICK["kernels"] = ["--matvec", "256", "--sum", "65536"]


def _job(cluster, hosts, per_host, env, argv, log_prefix, timeout=900):
    """Run one mpiexec job; (stdout, wall seconds, veth byte deltas {host: [rx, tx]})."""
    cmd, full_env = cluster.mpiexec(hosts, per_host, argv, env)
    before = cluster.veth_bytes()
    job = Job(cmd, full_env, log_prefix)
    job.wait(timeout)
    after = cluster.veth_bytes()
    deltas = {h: [after[h][i] - before[h][i] for i in (0, 1)] for h in after}
    return {"command": cmd, "env": env, "wall_s": job.ended - job.started, "veth_bytes": deltas}


def run_setting(cluster, name, nhosts, per_host, env, out_dir, quick):
    """Ping-pong and kernels jobs of one setting; its record for results.json."""
    hosts = [h.name for h in cluster.hosts[:nhosts]]
    logs = out_dir / "logs"
    py = sys.executable
    record = {"name": name, "hosts": hosts, "ranks_per_host": per_host, "env": env}
    pp_file, k_file = logs / f"{name}-pingpong.json", logs / f"{name}-kernels.json"
    argv = [py, "-m", "kernels.mpi.pingpong", "--out", str(pp_file)]
    argv += QUICK["pingpong"] if quick else []
    print(f"multihost: {name}: ping-pong on {hosts} x {per_host}", flush=True)
    record["pingpong_job"] = _job(cluster, hosts, per_host, env, argv, logs / f"{name}-pingpong")
    record["pingpong"] = json.loads(pp_file.read_text())
    argv = [py, "-m", "kernels.mpi.world", "cluster/kernels_run.py", "--out", str(k_file)]
    argv += QUICK["kernels"] if quick else []
    print(f"multihost: {name}: kernels on {hosts} x {per_host}", flush=True)
    record["kernels_job"] = _job(cluster, hosts, per_host, env, argv, logs / f"{name}-kernels")
    record["kernels"] = json.loads(k_file.read_text())
    pp_file.unlink()
    k_file.unlink()
    return record


def payload_bytes(rows):
    """Bytes each way of every ping-pong round trip in ``rows`` (the messages alone)."""
    return sum(r["bytes"] * r["round_trips"] for r in rows)


def _machine():
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "kernels/mpi", "kernels/compiled", "cluster"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),  # noqa: UP017
        "commit": commit + (" (modified: kernels/mpi, kernels/compiled or cluster)" * bool(dirty)),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "measurements" / "multihost"))
    parser.add_argument("--quick", action="store_true", help="a few small sizes (tests)")
    ns = parser.parse_args(argv)
    cluster = Cluster.load()
    if cluster is None or len(cluster.hosts) < 2:
        print(
            "multihost: the test cluster is not up: bash scripts/testcluster.sh up", file=sys.stderr
        )
        return 3
    out_dir = Path(ns.out)
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = {"machine": _machine(), "hosts": [vars(h) for h in cluster.hosts], "settings": []}
    for setting in SETTINGS:
        results["settings"].append(run_setting(cluster, *setting, out_dir, ns.quick))
    results["wall_s"] = time.perf_counter() - t0
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    from .summary import write_summary

    write_summary(results, out_dir)
    print(f"multihost: done in {results['wall_s']:.0f} s: {out_dir}/summary.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
