"""The test cluster of ``scripts/testcluster.sh`` seen from Python, and launching MPI jobs on it.

* ``Cluster.load()``: the hosts of a cluster that is up (``None`` when down).
* ``Cluster.veth_bytes()``: the byte counters of every host's interface.
* ``Cluster.mpiexec(...)``: the hydra command line that places ranks on hosts.
* ``Job``: one launched run; ``wait()`` turns an abnormal end into WorkerError.

Hydra, as it must be called here (MPICH 5.0.2's wheel):

* ``-launcher ssh`` with the cluster's ssh config through
  ``HYDRA_LAUNCHER_EXTRA_ARGS="-F CONFIG"`` (``-launcher-exec`` takes a program,
  no arguments);
* ``-localhost ADDRESS`` of the launching host: without it the proxy on a remote
  host connects back to this machine's host name, which resolves to 127.0.0.1
  (every namespace shares /etc/hosts), and the job hangs;
* hydra's automatic clean-up stays on (never ``-disable-auto-cleanup``): when a
  rank dies it ends every other rank within tens of milliseconds; without it the
  survivors wait in their collective forever.

mpiexec runs inside the first host's namespace; the launching Python process
(root namespace) waits for it.
"""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kernels.base import WorkerError

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "testcluster.sh"
STATE = Path(os.environ.get("PARBENCH_CLUSTER_STATE", "/run/parbench-testcluster"))
#: Each host's interface on the cluster network (its peer is a bridge port).
INTERFACE = "pbc0"
#: MPICH's UCX netmod over TCP only: the payload crosses the network between
#: hosts.  By default UCX sees that the namespaces share one kernel and moves it
#: through shared memory (sysv, cma): 0 payload bytes on the wire.
TCP = {"UCX_TLS": "tcp,self"}
#: What the single-host mpi backend uses (kernels.mpi.spawn.LOCAL_TRANSPORT).
SHARED_MEMORY = {"UCX_TLS": "sm,self"}
#: hydra's report of a rank that did not exit normally.
_BAD_END = re.compile(
    r"BAD TERMINATION|KILLED BY SIGNAL|EXIT CODE: \d+|TERMINATED WITH THE EXIT STRING"
)
_RANK_AT = re.compile(r"PID (\d+) RUNNING AT (\S+)")
_EXIT_CODE = re.compile(r"EXIT CODE: \d+")


@dataclass
class Host:
    name: str
    address: str
    netns: str


@dataclass
class Cluster:
    hosts: list
    slurm: str  # "ok", or why SLURM was not started

    @classmethod
    def load(cls, state=STATE):
        """The cluster that ``testcluster.sh up`` made, or None when it is down."""
        try:
            lines = (state / "hosts").read_text().split("\n")
            slurm = (state / "slurm-status").read_text().strip()
        except OSError:
            return None
        hosts = [Host(*line.split()) for line in lines if line.strip()]
        return cls(hosts, slurm)

    @property
    def ssh_config(self):
        return STATE / "ssh" / "config"

    @property
    def slurm_conf(self):
        return STATE / "slurm" / "slurm.conf"

    def in_host(self, host, argv):
        """``argv`` run in ``host``'s network namespace (host: a Host or its name)."""
        host = host if isinstance(host, Host) else self.host(host)
        return ["ip", "netns", "exec", host.netns, *argv]

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    def veth_bytes(self):
        """{host name: (received, sent)} bytes of each host's cluster interface."""
        counts = {}
        for h in self.hosts:
            stats = Path("/sys/class/net") / INTERFACE / "statistics"
            argv = ["cat", str(stats / "rx_bytes"), str(stats / "tx_bytes")]
            # /sys/class/net shows the namespace of the process that mounted /sys:
            # read it through `ip netns exec`, which mounts the host's own /sys.
            out = subprocess.run(
                self.in_host(h, argv), capture_output=True, text=True, check=True
            ).stdout.split()
            counts[h.name] = (int(out[0]), int(out[1]))
        return counts

    def rank_pids(self, host):
        """{MPI rank: pid} of the ranks running in ``host``'s namespace (from PMI_RANK)."""
        host = host if isinstance(host, Host) else self.host(host)
        out = subprocess.run(
            ["ip", "netns", "pids", host.netns], capture_output=True, text=True
        ).stdout
        ranks = {}
        for pid in (int(p) for p in out.split()):
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue  # gone meanwhile
            rank = [e[len(b"PMI_RANK=") :] for e in env if e.startswith(b"PMI_RANK=")]
            if rank:
                ranks[int(rank[0])] = pid
        return ranks

    def mpiexec(self, hosts, per_host, argv, env=None):
        """(command, environment) that runs ``argv`` on ``per_host`` ranks of each of ``hosts``.

        ``env``: variables for every rank (hydra passes the launching
        environment on), e.g. ``TCP``; a ``UCX_TLS`` of this process is not
        passed on (``env`` sets the transport, or UCX chooses).  The command
        runs mpiexec in the first host's namespace.
        """
        launcher = self.host(hosts[0])
        mpiexec = str(Path(sys.executable).with_name("mpiexec"))
        cmd = [mpiexec, "-launcher", "ssh", "-localhost", launcher.address]
        cmd += ["-hosts", ",".join(f"{h}:{per_host}" for h in hosts)]
        cmd += ["-n", str(per_host * len(hosts)), *argv]
        full_env = {k: v for k, v in os.environ.items() if k != "UCX_TLS"}
        full_env["HYDRA_LAUNCHER_EXTRA_ARGS"] = f"-F {self.ssh_config}"
        full_env.update(env or {})
        return self.in_host(launcher, cmd), full_env


class Job:
    """One mpiexec run on the cluster, started at once (own session, output to files).

    ``wait(timeout)`` returns its stdout; raises WorkerError when a rank ended
    abnormally (hydra ends the others and exits non-zero), RuntimeError for any
    other failure, TimeoutError (after killing the whole job) when it runs past
    ``timeout`` seconds.
    """

    def __init__(self, cmd, env, log_prefix, cwd=ROOT):
        self.cmd, self.log_prefix = cmd, Path(log_prefix)
        self._out = open(f"{log_prefix}.out", "w")
        self._err = open(f"{log_prefix}.err", "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=self._out, stderr=self._err, start_new_session=True
        )

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(f"{self.cmd[:8]}... still running after {timeout} s") from None
        finally:
            self.ended = time.monotonic()
            self._out.close()
            self._err.close()
        out = Path(f"{self.log_prefix}.out").read_text()
        err = Path(f"{self.log_prefix}.err").read_text()
        if rc != 0:
            tail = "\n".join((out + err).strip().splitlines()[-12:])
            if _BAD_END.search(out + err):
                where = ", ".join(f"pid {p} on {h}" for p, h in _RANK_AT.findall(out + err))
                code = _EXIT_CODE.search(out + err)
                raise WorkerError(
                    f"MPI rank ({where or 'unknown'}) ended abnormally"
                    f" ({code.group(0) if code else 'no exit code'}; 9: SIGKILL), and hydra"
                    f" ended the job (mpiexec exit {rc}):\n{tail}"
                )
            raise RuntimeError(f"mpiexec exit {rc}:\n{tail}")
        return out
