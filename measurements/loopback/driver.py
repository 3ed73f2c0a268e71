"""parbench-like open: singleton -> COMM_SELF.Spawn(1) -> Merge; audit sockets of the tree.

usage: driver.py LABEL [--wrapper hydra|hydra-args|gforker] [--bench] [--kill] [--info k=v ...]
Environment variables for MPICH/UCX/OFI/Hydra are taken from the caller.
"""
import argparse, json, os, shlex, shutil, socket, subprocess, sys, tempfile, time
import numpy as np, psutil

ap = argparse.ArgumentParser()
ap.add_argument("label"); ap.add_argument("--wrapper", default="hydra")
ap.add_argument("--pmargs", default="", help="extra args the wrapper passes to mpiexec")
ap.add_argument("--bench", action="store_true"); ap.add_argument("--kill", action="store_true")
ap.add_argument("--info", action="append", default=[])
ap.add_argument("--shut", action="store_true", help="shutdown() the singleton PMI listener after Spawn")
ap.add_argument("--reopen", action="store_true", help="close and spawn a second time")
a = ap.parse_args()

BIN = os.path.dirname(sys.executable)
HERE = os.path.dirname(os.path.abspath(__file__))
LOOP = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}

def tree():
    me = psutil.Process()
    return [me] + me.children(recursive=True)

def audit(tag):
    rows, bad = [], []
    for p in tree():
        try:
            name = p.name(); conns = p.net_connections(kind="inet")
        except psutil.Error:
            continue
        for c in conns:
            l = c.laddr.ip if c.laddr else None
            r = c.raddr.ip if c.raddr else None
            kind = "tcp" if c.type == socket.SOCK_STREAM else "udp"
            row = f"{name}[{p.pid}] {kind} {c.status} {c.laddr} -> {c.raddr or '-'}"
            rows.append(row)
            listening = (kind == "tcp" and c.status == psutil.CONN_LISTEN) or (kind == "udp" and not r)
            if (listening and l not in LOOP) or (r and r not in LOOP) or (l and l not in LOOP and c.status != psutil.CONN_LISTEN):
                bad.append(row)
    procs = [f"{p.name()}[{p.pid}] ppid={p.ppid()} sid={os.getsid(p.pid)}" for p in tree() if p.is_running()]
    return {"tag": tag, "procs": procs, "sockets": rows, "exposed": bad}

def ss_snapshot(pids):
    out = subprocess.run(["ss", "-ltnupaH"], capture_output=True, text=True).stdout.splitlines()
    return [l for l in out if any(f"pid={p}," in l for p in pids)]

def shm():
    return sorted(os.listdir("/dev/shm"))

SAFE = """#!{py} -IS
# mpiexec stand-in: log argv, drop inherited fds, point gforker at 127.0.0.1, new session
import os, sys
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write("mpiexec argv: " + " ".join(args) + "\\n")
if len(args) >= 5 and args[0] == "-pmi_args" and args[2] == "default_interface":
    args[2] = "127.0.0.1"
os.closerange(3, os.sysconf("SC_OPEN_MAX"))
os.setsid()
os.execv({real!r}, [{real!r}] + {extra!r} + args)
"""

def write_wrapper():
    d = tempfile.mkdtemp(prefix="rs-mpiexec-")
    if a.wrapper.endswith("-safe"):
        real = os.path.join(BIN, {"gforker-safe": "mpiexec.gforker", "hydra-safe": "mpiexec"}[a.wrapper])
        with open(os.path.join(d, "mpiexec"), "w") as f:
            f.write(SAFE.format(py=sys.executable, log=os.path.join(HERE, "argv.log"), real=real,
                                extra=shlex.split(a.pmargs)))
        os.chmod(os.path.join(d, "mpiexec"), 0o755)
        return d
    real = {"hydra": os.path.join(BIN, "mpiexec"), "gforker": os.path.join(BIN, "mpiexec.gforker")}[a.wrapper]
    with open(os.path.join(d, "mpiexec"), "w") as f:
        f.write(f'#!/bin/sh\necho "mpiexec argv: $*" >> {HERE}/argv.log\n'
                f'exec setsid {shlex.quote(real)} {a.pmargs} "$@"\n')
    os.chmod(os.path.join(d, "mpiexec"), 0o755)
    return d

res = {"label": a.label, "env": {k: v for k, v in os.environ.items()
        if k.startswith(("UCX_", "FI_", "MPIR_", "HYDRA_", "MPIEXEC_", "MPICH_", "TMPDIR"))},
       "wrapper": a.wrapper, "pmargs": a.pmargs, "info": a.info}
shm0 = shm()
from mpi4py import MPI
t0 = time.perf_counter()
wd = write_wrapper()
old = os.environ["PATH"]; os.environ["PATH"] = wd + os.pathsep + BIN + os.pathsep + old
info = MPI.Info.Create(); info.Set("wdir", HERE)
for kv in a.info:
    k, v = kv.split("=", 1); info.Set(k, v)
def my_listeners():
    return {(c.fd, c.laddr) for c in psutil.Process().net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
before = my_listeners()
try:
    inter = MPI.COMM_SELF.Spawn(sys.executable, args=[os.path.join(HERE, "worker.py")], maxprocs=1, info=info)
finally:
    os.environ["PATH"] = old; shutil.rmtree(wd, ignore_errors=True)
new = my_listeners() - before
res["driver_listeners_new_in_spawn"] = [f"fd={fd} {la}" for fd, la in sorted(new)]
if a.shut:
    for fd, la in new:
        if la.ip not in LOOP:
            s_ = socket.socket(fileno=os.dup(fd)); s_.shutdown(socket.SHUT_RDWR); s_.close()
comm = inter.Merge(high=False)
pids = np.zeros(2, np.int64); comm.Gather(np.array([os.getpid()], np.int64), pids, root=0)
res["open_s"] = round(time.perf_counter() - t0, 3)
rank = psutil.Process(int(pids[1]))
h = np.zeros(3, np.int64)
def cmd(op, n=0, it=0):
    h[:] = (op, n, it); comm.Bcast(h, root=0)
# one Bcast/Reduce to prove it works
cmd(1, 0, 1); b = np.array([1.0]); out = np.zeros(1); comm.Bcast(b, root=0); comm.Reduce(b, out, op=MPI.SUM, root=0)
res["reduce_ok"] = bool(out[0] == 2.0)
res["open"] = audit("while open")
res["ss_open"] = ss_snapshot([p.pid for p in tree()])
res["shm_new_while_open"] = [(f, oct(os.stat('/dev/shm/' + f).st_mode & 0o777), os.stat('/dev/shm/' + f).st_uid) for f in shm() if f not in shm0]
if a.bench:
    it = int(os.environ.get("SMALL_IT", 2000)); cmd(1, 0, it); ts = []
    for _ in range(it):
        s = time.perf_counter(); comm.Bcast(b, root=0); comm.Reduce(b, out, op=MPI.SUM, root=0); ts.append(time.perf_counter() - s)
    res["rt8_us_median"] = round(float(np.median(ts)) * 1e6, 2)
    n = 1 << 22; big = np.ones(n); r = np.empty(n)
    for op, name, fn in ((2, "reduce", lambda: comm.Reduce(big, r, op=MPI.SUM, root=0)),
                         (3, "allreduce", lambda: comm.Allreduce(big, r, op=MPI.SUM))):
        it = int(os.environ.get("BIG_IT", 15)); cmd(op, n, it); ts = []
        for _ in range(it):
            s = time.perf_counter(); fn(); ts.append(time.perf_counter() - s)
        res[f"{name}_2^22_ms_median"] = round(float(np.median(ts)) * 1e3, 2)
if a.kill:
    cmd(4)
    time.sleep(0.3)
    rank.kill(); time.sleep(1.5)
    res["after_kill"] = audit("after SIGKILL of rank")
    res["shm_after_kill"] = [f for f in shm() if f not in shm0]
    print(json.dumps(res, indent=1)); sys.stdout.flush()
    os._exit(0)
cmd(0); comm.Free(); inter.Disconnect()
def gone(p):
    try: return p.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess: return True
dl = time.monotonic() + 5
while not gone(rank) and time.monotonic() < dl: time.sleep(0.01)
res["rank_gone"] = gone(rank)
time.sleep(0.5)
res["after_close"] = audit("after ranks stopped")
res["shm_after_close"] = [f for f in shm() if f not in shm0]
if a.reopen:
    t1 = time.perf_counter()
    inter = MPI.COMM_SELF.Spawn(sys.executable, args=[os.path.join(HERE, "worker.py")], maxprocs=1, info=info)
    comm = inter.Merge(high=False); comm.Gather(np.array([os.getpid()], np.int64), pids, root=0)
    res["reopen_s"] = round(time.perf_counter() - t1, 3)
    res["reopen"] = audit("second open")
    cmd(0); comm.Free(); inter.Disconnect()
info.Free()
print(json.dumps(res, indent=1)); sys.stdout.flush()
