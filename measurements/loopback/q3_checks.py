"""Q3: sockets opened by multiprocessing(spawn)+Pipe+shared_memory and by pyopencl/PoCL; shm modes."""
import os, socket, stat, sys, time
import multiprocessing as mp
from multiprocessing import shared_memory
import numpy as np, psutil

def inet_of_tree(tag):
    me = psutil.Process(); rows = []
    for p in [me] + me.children(recursive=True):
        try:
            for c in p.net_connections(kind="inet"):
                rows.append(f"{p.name()}[{p.pid}] {c.type.name} {c.status} {c.laddr} -> {c.raddr}")
        except psutil.Error:
            pass
    unix = sum(len(p.net_connections(kind="unix")) for p in [me] + me.children(recursive=True) if p.is_running())
    print(f"[{tag}] procs={len(me.children(recursive=True)) + 1} inet sockets: {rows or 'none'}; unix sockets: {unix}")

def child(conn, name):
    shm = shared_memory.SharedMemory(name=name)
    a = np.ndarray((1024,), np.float64, buffer=shm.buf); a += 1
    conn.send(("done", os.getpid())); conn.recv()   # wait so the parent can audit while we live
    del a; shm.close()

if __name__ == "__main__":
    print("umask", oct(os.umask(0o022)))
    ctx = mp.get_context("spawn")
    shm = shared_memory.SharedMemory(create=True, size=8192)
    st = os.stat("/dev/shm/" + shm.name)
    print("shared_memory", shm.name, "mode", oct(stat.S_IMODE(st.st_mode)), "uid", st.st_uid)
    here, there = ctx.Pipe(duplex=True)
    p = ctx.Process(target=child, args=(there, shm.name)); p.start()
    print("child says", here.recv())
    inet_of_tree("multiprocessing spawn + Pipe + shared_memory, child alive")
    # resource_tracker is a child too (spawn): covered by the tree walk
    here.send("bye"); p.join()
    print("child result ok:", np.ndarray((1024,), np.float64, buffer=shm.buf)[0] == 1.0)
    shm.close(); shm.unlink()
    # umask 077 does not matter: Python passes mode 0o600 to shm_open
    os.umask(0o000)
    s2 = shared_memory.SharedMemory(create=True, size=4096)
    print("with umask 000: mode", oct(stat.S_IMODE(os.stat('/dev/shm/' + s2.name).st_mode)))
    s2.close(); s2.unlink(); os.umask(0o022)

    import pyopencl as cl
    plats = cl.get_platforms()
    print("platforms", [(pl.name, pl.version) for pl in plats])
    dev = [d for pl in plats for d in pl.get_devices()][0]
    print("device", dev.name)
    ctx_cl = cl.Context([dev]); q = cl.CommandQueue(ctx_cl)
    prg = cl.Program(ctx_cl, "__kernel void twice(__global float *a){int i=get_global_id(0); a[i]*=2.0f;}").build()
    a = np.arange(16, dtype=np.float32); buf = cl.Buffer(ctx_cl, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR, hostbuf=a)
    prg.twice(q, a.shape, None, buf); out = np.empty_like(a); cl.enqueue_copy(q, out, buf); q.finish()
    print("opencl kernel ok:", bool((out == 2 * a).all()))
    inet_of_tree("pyopencl PoCL context + kernel")
