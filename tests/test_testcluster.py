"""The test cluster (scripts/testcluster.sh, cluster/): the mpi backend across two hosts.

Hosts are network namespaces of this machine (see the script's header).  Every
test here but the first needs root, ``ip netns`` and openssh-server (the SLURM
test also munge, slurmctld, slurmd); where they are missing the tests skip
with the script's reason.  The module brings the cluster up once and its last
test takes it down and checks that nothing is left: no namespace, no process
of the cluster, no mount, no file.  A cluster that is already up when the
tests start is not touched: they skip.

What they check: `up` twice is safe; each sshd listens only on its host's
address and lets in the cluster's key only; both kernels across two hosts,
verified against numpy (inside cluster/kernels_run.py) with the layout
reported by the ranks; the ping-pong payload crosses the veth with
UCX_TLS=tcp,self and does not with UCX's default; a rank SIGKILLed on the
second host mid-call gives WorkerError within 10 s; a 2-node ``sbatch`` job;
IPython Parallel engines on both hosts with the controller on the first.
"""

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cluster.testbed import SCRIPT, STATE, TCP, Cluster, Job
from kernels.base import WorkerError
from kernels.memory import SHM_DIR
from kernels.mpi import segments

ROOT = Path(__file__).resolve().parent.parent
CANNOT = 3  # testcluster.sh's exit status for "cannot run here"


def _script(*args, timeout=120):
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout
    )


def test_check_says_whether_it_can_run_and_why():
    done = _script("check")
    assert done.returncode in (0, CANNOT), done.stdout + done.stderr
    if done.returncode == CANNOT:
        assert done.stdout.startswith("cannot run: "), done.stdout
    else:
        assert "ok: network namespaces, sshd" in done.stdout and "slurm: " in done.stdout


def test_check_as_another_user_says_cannot_run_not_root():
    """The path that makes every cluster test skip, taken for real (as user nobody)."""
    if os.getuid() != 0 or not Path("/usr/sbin/runuser").exists():
        pytest.skip("needs root and runuser to run the check as another user")
    done = subprocess.run(
        ["runuser", "-u", "nobody", "--", "bash", str(SCRIPT), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == CANNOT and done.stdout.startswith("cannot run: not root"), done


def _namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith("pbc-")]


def _netns_mounted():
    return subprocess.run(["mountpoint", "-q", "/run/netns"]).returncode == 0


@pytest.fixture(scope="module")
def cluster():
    done = _script("check")
    if done.returncode == CANNOT:
        pytest.skip(f"test cluster: {done.stdout.strip()}")
    assert done.returncode == 0, done.stdout + done.stderr
    if Cluster.load() is not None or _namespaces():
        pytest.skip("a test cluster is already up (scripts/testcluster.sh status); not touched")
    before = {"netns_mounted": _netns_mounted()}
    shm_before = set(glob.glob(os.path.join(SHM_DIR, segments.PREFIX + "*")))
    up = _script("up")
    assert up.returncode == 0, up.stdout + up.stderr
    c = Cluster.load()
    c.before = before
    c.daemons = [int(p.read_text()) for p in STATE.glob("**/*.pid")]
    yield c
    _script("down")
    _remove_job_segments(shm_before)


def _remove_job_segments(before):
    """Remove the MPICH shared-memory files the cluster's jobs left (the hosts share this
    machine's /dev/shm): those made since ``before`` that no live process maps.

    Across hosts the launcher owns the job (README: "Beyond one host"), and a rank
    killed on purpose here (or one the launcher killed after it) never finalizes.
    """
    new = set(glob.glob(os.path.join(SHM_DIR, segments.PREFIX + "*"))) - before
    if new:
        new -= set(segments.mapped_segments(psutil.pids()))
        print(f"testcluster: removed the jobs' segments {sorted(new)}")
        segments.remove(sorted(new))


# ------------------------------------------------------------------ up, ssh


@pytest.mark.timeout(120)
def test_up_twice_is_safe_and_sshd_lets_in_the_cluster_key_only(cluster, tmp_path):
    again = _script("up")
    assert again.returncode == 0 and "already up" in again.stderr, again.stderr
    assert [h.name for h in cluster.hosts] == ["pbnode1", "pbnode2"]
    ssh = ["ssh", "-F", str(cluster.ssh_config), "-o", "ConnectTimeout=5"]
    for h in cluster.hosts:
        listening = subprocess.run(
            cluster.in_host(h, ["ss", "-ltnH", "sport", "=", ":22"]), capture_output=True, text=True
        ).stdout.split()
        assert f"{h.address}:22" in listening and "0.0.0.0:22" not in listening, listening
        done = subprocess.run(
            cluster.in_host("pbnode1", [*ssh, h.name, "ip -br -4 addr show pbc0"]),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0 and h.address in done.stdout, done.stderr
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    for extra in (["-i", str(other), "-o", "IdentitiesOnly=yes"], ["-o", "IdentityFile=none"]):
        # another key, and no key at all (password login is off: BatchMode cannot prompt)
        argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"]
        argv += ["-o", "UserKnownHostsFile=/dev/null", *extra, "root@10.213.7.2", "true"]
        done = subprocess.run(cluster.in_host("pbnode1", argv), capture_output=True, text=True)
        assert done.returncode == 255 and "Permission denied" in done.stderr, done.stderr


# ------------------------------------------------------------- across hosts


def _run(cluster, argv, env, tmp_path, name, timeout=300):
    cmd, full_env = cluster.mpiexec(["pbnode1", "pbnode2"], 1, argv, env)
    before = cluster.veth_bytes()
    out = Job(cmd, full_env, tmp_path / name).wait(timeout)
    after = cluster.veth_bytes()
    return out, {h: (after[h][0] - before[h][0], after[h][1] - before[h][1]) for h in after}


@pytest.mark.timeout(400)
def test_both_kernels_across_two_hosts_verified_with_the_layout(cluster, tmp_path):
    out_file = tmp_path / "k.json"
    argv = [sys.executable, "-m", "kernels.mpi.world", "cluster/kernels_run.py"]
    argv += ["--out", str(out_file), "--matvec", "3,1024", "--sum", "1,65536"]
    _, moved = _run(cluster, argv, TCP, tmp_path, "kernels")
    data = json.loads(out_file.read_text())  # every case was checked against numpy
    assert [ident["addresses"] for ident in data["layout"]] == [["10.213.7.1"], ["10.213.7.2"]]
    assert data["launched"] and data["UCX_TLS"] == "tcp,self"
    cases = {(r["kernel"], r["n"], r["mode"]) for r in data["rows"]}
    modes = ("resident", "end_to_end", "serial_numpy")
    assert cases == {
        (k, n, m)
        for k, ns in (("matvec", (3, 1024)), ("sum", (1, 65536)))
        for n in ns
        for m in modes
    }
    # end-to-end matvecs scattered pbnode2's half of A (4 MiB) at least once through pbc0
    assert moved["pbnode2"][0] > 1024 * 512 * 8, moved


@pytest.mark.timeout(300)
def test_pingpong_payload_crosses_the_veth_with_tcp_only(cluster, tmp_path):
    payload = {}
    for name, env in (("tcp", TCP), ("default", {})):
        out_file = tmp_path / f"{name}.json"
        argv = [sys.executable, "-m", "kernels.mpi.pingpong", "--out", str(out_file)]
        argv += ["--sizes", "8,1048576", "--budget", "0.05"]
        _, moved = _run(cluster, argv, env, tmp_path, f"pp-{name}")
        rows = json.loads(out_file.read_text())["rows"]
        sent = sum(r["bytes"] * r["round_trips"] for r in rows)  # each way
        payload[name] = (sent, moved)
    sent, moved = payload["tcp"]
    assert moved["pbnode1"][1] >= sent and moved["pbnode2"][1] >= sent, payload
    sent, moved = payload["default"]  # UCX sees one kernel: shared memory, no payload on pbc0
    assert sent > 10 * 2**20 and moved["pbnode1"][1] < sent / 10, payload


LOOP = """
import time
import numpy as np
from kernels import get_backend
A, x = np.random.rand(2048, 2048), np.random.rand(2048)
with get_backend("mpi") as be:
    placed = be.put(A)
    be.matvec(placed, x)
    print("READY", flush=True)
    t = time.monotonic()
    while time.monotonic() - t < 120:
        be.matvec(placed, x)
print("finished without a death", flush=True)
"""


@pytest.mark.timeout(200)
def test_a_rank_killed_on_the_second_host_gives_worker_error_within_10_s(cluster, tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    argv = [sys.executable, "-m", "kernels.mpi.world", str(script)]
    cmd, env = cluster.mpiexec(["pbnode1", "pbnode2"], 1, argv, TCP)
    job = Job(cmd, env, tmp_path / "loop")
    deadline = time.monotonic() + 120
    while "READY" not in (tmp_path / "loop.out").read_text():
        assert job.proc.poll() is None and time.monotonic() < deadline, "the job did not start"
        time.sleep(0.05)
    ranks = cluster.rank_pids("pbnode2")
    assert list(ranks) == [1] and list(cluster.rank_pids("pbnode1")) == [0], ranks
    os.kill(ranks[1], signal.SIGKILL)
    killed = time.monotonic()
    with pytest.raises(WorkerError, match=rf"pid {ranks[1]} on pbnode2"):
        job.wait(60)
    print(f"WorkerError {job.ended - killed:.3f} s after the SIGKILL of rank 1 on pbnode2")
    assert job.ended - killed < 10
    assert cluster.rank_pids("pbnode1") == {} and cluster.rank_pids("pbnode2") == {}


# -------------------------------------------------------------------- SLURM


@pytest.mark.timeout(300)
def test_sbatch_job_runs_the_kernels_on_two_nodes(cluster, tmp_path):
    if cluster.slurm != "ok":
        pytest.skip(f"SLURM {cluster.slurm}")
    from cluster.slurm_job import submit

    job = submit(tmp_path, "--matvec 256 --sum 65536", timeout=240)
    print(f"sbatch job {job['job_id']}: {job['scontrol']}, script {job['script_s']:.1f} s")
    assert job["scontrol"]["JobState"] == "COMPLETED", job
    assert job["scontrol"]["NodeList"] == "pbnode[1-2]", job
    data = json.loads((tmp_path / job["results"]).read_text())
    assert [ident["addresses"] for ident in data["layout"]] == [["10.213.7.1"], ["10.213.7.2"]]
    assert len(data["rows"]) == 6 and data["UCX_TLS"] == "tcp,self"
    assert "HYDRA_LAUNCHER_EXTRA_ARGS" not in (tmp_path / job["log"]).read_text()


# ------------------------------------------------------------- ipyparallel


def _ipyparallel_processes(cluster):
    found = []
    for h in cluster.hosts:
        out = subprocess.run(["ip", "netns", "pids", h.netns], capture_output=True, text=True)
        for pid in out.stdout.split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"ipyparallel" in cmdline or b"ipengine" in cmdline:
                found.append((h.name, int(pid)))
    return found


@pytest.mark.timeout(300)
def test_ipyparallel_engines_on_both_hosts_controller_on_the_first(cluster, tmp_path):
    pytest.importorskip("ipyparallel")
    from cluster import ipp

    record = ipp.run(cluster, tmp_path, quick=True)  # checked against numpy inside
    assert sorted(e["addresses"] for e in record["layout"]) == [["10.213.7.1"], ["10.213.7.2"]]
    assert {(r["kernel"], r["n"]) for r in record["rows"]} == {("matvec", 256), ("sum", 65536)}
    assert record["veth_bytes"]["pbnode2"][0] > 256 * 128 * 8  # its rows of A crossed pbc0
    assert _ipyparallel_processes(cluster) == []  # controller and engines are gone
    assert not list(STATE.glob("ipp-*"))  # the private profile is removed


# --------------------------------------------------------------------- down


@pytest.mark.timeout(120)
def test_down_leaves_nothing_behind(cluster):
    done = _script("down")
    assert done.returncode == 0, done.stderr
    assert _namespaces() == []
    assert not STATE.exists()
    alive = [p for p in cluster.daemons if Path(f"/proc/{p}").exists()]
    assert alive == [], alive
    assert _netns_mounted() == cluster.before["netns_mounted"]
    assert _script("status").returncode == 1
    assert _script("down").returncode == 0  # down again: nothing to do, no error
