"""Run parbench's real MPIBackend (unmodified) with the winning configuration injected from outside:
UCX_TLS=sm,self, an 'mpiexec' stand-in that execs mpiexec.gforker (fds closed, 127.0.0.1, PDEATHSIG),
and shutdown() of the singleton PMI listener after open.  Audits the tree's sockets."""
import os, socket, sys, tempfile, time
os.environ["UCX_TLS"] = "sm,self"
os.environ["RS_PDEATHSIG"] = "1"
sys.path.insert(0, "/tmp/research/parbench_head")
import numpy as np, psutil
from kernels import mpi_backend
BIN = os.path.dirname(sys.executable)
d = tempfile.mkdtemp(prefix="rs-gforker-")
real = os.path.join(BIN, "mpiexec.gforker")
open(os.path.join(d, "mpiexec"), "w").write(f"""#!{sys.executable} -IS
import os, sys, ctypes
args = sys.argv[1:]
if len(args) >= 5 and args[0] == "-pmi_args" and args[2] == "default_interface":
    args[2] = "127.0.0.1"          # gforker would otherwise resolve gethostname()
os.closerange(3, os.sysconf("SC_OPEN_MAX"))   # drop the singleton's inherited listener
try: os.setsid()
except PermissionError: pass       # parbench's own setsid wrapper already did it
ctypes.CDLL(None).prctl(1, 9)      # PR_SET_PDEATHSIG=SIGKILL: die with the driver
os.execv({real!r}, [{real!r}] + args)
""")
os.chmod(os.path.join(d, "mpiexec"), 0o755)
mpi_backend._mpiexec_dir = lambda: d
LOOP = {"127.0.0.1", "::1"}

def audit(tag):
    me = psutil.Process(); bad = []; n = 0
    for p in [me] + me.children(recursive=True):
        try: cs = p.net_connections(kind="inet")
        except psutil.Error: continue
        for c in cs:
            n += 1
            listening = c.status == psutil.CONN_LISTEN or (c.type == socket.SOCK_DGRAM and not c.raddr)
            if (listening and c.laddr.ip not in LOOP) or (c.raddr and c.raddr.ip not in LOOP):
                bad.append(f"{p.name()}[{p.pid}] {c.status} {c.laddr}")
    print(f"{tag}: procs={[p.name() for p in [me] + me.children(recursive=True)]} inet_sockets={n} exposed={bad}")

def shut_singleton_listener():
    for c in psutil.Process().net_connections(kind="inet"):
        if c.status == psutil.CONN_LISTEN and c.laddr.ip not in LOOP:
            s = socket.socket(fileno=os.dup(c.fd)); s.shutdown(socket.SHUT_RDWR); s.close()

rng = np.random.default_rng(0); A = rng.standard_normal((300, 300)); x = rng.standard_normal(300)
for round_ in (1, 2):
    t = time.perf_counter()
    be = mpi_backend.MPIBackend(workers=2); be.open()
    print(f"open #{round_}: {time.perf_counter() - t:.3f} s")
    audit(f"open #{round_} before shutdown")
    shut_singleton_listener()
    audit(f"open #{round_} after shutdown")
    r = be.put(A)
    ok = np.allclose(be.matvec(r, x), A @ x) and np.isclose(be.vector_sum(x), x.sum())
    print("results ok:", ok)
    be.close()
    audit(f"after close #{round_}")
