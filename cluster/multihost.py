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

In each: ``python -m kernels.mpi.pingpong`` (8 B .. 64 MiB, pickle and buffer,
2 samples of 0.1 s per size and transport), in 3 rounds where the settings
take turns (the samples of the rounds pooled: median of 6)
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
import statistics
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
#: ping-pong jobs per setting; the settings take turns, so a machine whose speed
#: drifts (other work on its 2 cores) weighs on every setting alike
ROUNDS = 3
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


def _hosts(cluster, setting):
    name, nhosts, per_host, env = setting
    return [h.name for h in cluster.hosts[:nhosts]], per_host, env


def _pingpong(cluster, setting, logs, rnd, quick):
    """One ping-pong job of ``setting`` (round ``rnd``): (job record, the JSON it wrote)."""
    hosts, per_host, env = _hosts(cluster, setting)
    prefix = logs / f"{setting[0]}-pingpong-{rnd}"
    argv = [sys.executable, "-m", "kernels.mpi.pingpong", "--out", f"{prefix}.json"]
    argv += QUICK["pingpong"] if quick else ["--samples", "2", "--budget", "0.2"]
    print(f"multihost: {setting[0]}: ping-pong round {rnd} on {hosts} x {per_host}", flush=True)
    job = _job(cluster, hosts, per_host, env, argv, prefix)
    path = Path(f"{prefix}.json")
    data = json.loads(path.read_text())
    path.unlink()
    return job, data


def merge_rounds(parts):
    """One ping-pong record from the rounds' (job, data): samples pooled (median of all),
    round trips, wall seconds and interface bytes summed; the layout of the first round."""
    rows = {}
    for _, data in parts:
        for r in data["rows"]:
            key = (r["bytes"], r["transport"])
            if key in rows:
                rows[key]["samples_s"] += r["samples_s"]
                rows[key]["round_trips"] += r["round_trips"]
            else:
                rows[key] = dict(r)
    for r in rows.values():
        r["one_way_s"] = statistics.median(r["samples_s"])
        r["bandwidth_GBps"] = r["bytes"] / r["one_way_s"] / 1e9
    veth = {}
    for job, _ in parts:
        for h, (rx, tx) in job["veth_bytes"].items():
            old = veth.get(h, [0, 0])
            veth[h] = [old[0] + rx, old[1] + tx]
    first_job, first = parts[0]
    job = {**first_job, "wall_s": sum(j["wall_s"] for j, _ in parts), "veth_bytes": veth}
    job["rounds"] = len(parts)
    return job, {**first, "rows": list(rows.values())}


def _kernels(cluster, setting, logs, quick):
    hosts, per_host, env = _hosts(cluster, setting)
    prefix = logs / f"{setting[0]}-kernels"
    argv = [sys.executable, "-m", "kernels.mpi.world", "cluster/kernels_run.py"]
    argv += ["--out", f"{prefix}.json", *(QUICK["kernels"] if quick else [])]
    print(f"multihost: {setting[0]}: kernels on {hosts} x {per_host}", flush=True)
    job = _job(cluster, hosts, per_host, env, argv, prefix)
    path = Path(f"{prefix}.json")
    data = json.loads(path.read_text())
    path.unlink()
    return job, data


def run_settings(cluster, out_dir, quick, rounds=ROUNDS):
    """Every setting's jobs, ping-pong rounds taking turns; the records for results.json."""
    logs = out_dir / "logs"
    parts = {setting[0]: [] for setting in SETTINGS}
    for rnd in range(1, rounds + 1):
        for setting in SETTINGS:
            parts[setting[0]].append(_pingpong(cluster, setting, logs, rnd, quick))
    records = []
    for setting in SETTINGS:
        hosts, per_host, env = _hosts(cluster, setting)
        record = {"name": setting[0], "hosts": hosts, "ranks_per_host": per_host, "env": env}
        record["pingpong_job"], record["pingpong"] = merge_rounds(parts[setting[0]])
        record["kernels_job"], record["kernels"] = _kernels(cluster, setting, logs, quick)
        records.append(record)
    return records


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
    results["settings"] = run_settings(cluster, out_dir, ns.quick, 1 if ns.quick else ROUNDS)
    results["wall_s"] = time.perf_counter() - t0
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    from .summary import write_summary

    write_summary(results, out_dir)
    print(f"multihost: done in {results['wall_s']:.0f} s: {out_dir}/summary.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
