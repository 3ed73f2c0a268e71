"""Nobody else gets in: while a backend is open nothing listens beyond loopback, and
its files in /dev/shm are the user's alone and are gone after close, after a killed
worker, and once the process has exited.

Each case runs in a process of its own (``run_scenario``): MPI is per-process state,
and "gone once the process exited" needs a process that exits.  The sockets are
those of the whole process tree (the driver, MPICH's process manager, the ranks,
the pool's workers), read with psutil: a TCP socket in LISTEN state, or a UDP
socket bound and unconnected.
"""

import os
import stat

import numpy as np
import psutil
import pytest

from kernels import BACKENDS, BackendUnavailable, WorkerError, get_backend
from kernels.seeds import SEED_VERSIONS, seed_version

from .helpers import new_tag, report_result, run_scenario

SHM = "/dev/shm"
LOOPBACK = {"127.0.0.1", "::1"}
#: backends whose worker processes a test can kill (``_procs``)
WITH_WORKERS = ("multiprocessing", "mpi", "ipyparallel")


def shm_files():
    """{name: mode bits} of the files in /dev/shm now."""
    found = {}
    for name in os.listdir(SHM):
        try:
            found[name] = stat.S_IMODE(os.stat(os.path.join(SHM, name)).st_mode)
        except FileNotFoundError:
            pass
    return found


def open_sockets():
    """[(process name, address, port, kind)] listening or bound-unconnected in this process tree."""
    found = []
    me = psutil.Process()
    for p in [me, *me.children(recursive=True)]:
        try:
            for c in p.net_connections(kind="inet"):
                listening = c.status == psutil.CONN_LISTEN
                bound_udp = c.type == 2 and not c.raddr  # SOCK_DGRAM
                if listening or bound_udp:
                    found.append(
                        (p.name(), c.laddr.ip, c.laddr.port, "tcp" if listening else "udp")
                    )
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def _make(name):
    if name in SEED_VERSIONS:
        return seed_version(name, workers=2)
    return get_backend(name, workers=2)


def scenario_open_run_close():
    """Open a backend (or seed variant), run both kernels resident and end-to-end, close.

    SCENARIO_KILL=1: SIGKILL one worker after the calls, then expect WorkerError.
    """
    name, kill = os.environ["SCENARIO_BACKEND"], os.environ.get("SCENARIO_KILL") == "1"
    before = set(shm_files())
    rng = np.random.default_rng(0)
    A, x, a = rng.random((300, 300)), rng.random(300), rng.random(100_000)
    be = _make(name)
    kernels = getattr(be, "kernels", ("matvec", "sum"))
    try:
        be.open()
    except BackendUnavailable as exc:
        report_result(unavailable=str(exc))
        return
    killed = None
    with be:
        if "matvec" in kernels:
            be.matvec(be.put(A), x)
            be.matvec(A, x)
        if "sum" in kernels:
            be.vector_sum(be.put(a))
            be.vector_sum(a)
        sockets = open_sockets()
        files = {f: mode for f, mode in shm_files().items() if f not in before}
        if kill:
            victim = psutil.Process(be._procs[0].pid)
            victim.kill()
            victim.wait(5)
            try:
                be.vector_sum(a) if "sum" in kernels else be.matvec(A, x)
                killed = "no error"
            except WorkerError as exc:
                killed = f"WorkerError: {exc}"
    left_after_close = sorted(set(shm_files()) - before)
    report_result(
        sockets=sockets,
        files=files,
        killed=killed,
        left_after_close=left_after_close,
        own_mpich_segment=f"mpich_shm_{os.getpid():x}_",
    )


def _cases():
    cases = [(name, False) for name in (*BACKENDS, *SEED_VERSIONS)]
    cases += [(name, True) for name in WITH_WORKERS]
    return [
        pytest.param(name, kill, id=f"{name}-killed-worker" if kill else name)
        for name, kill in cases
    ]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name,kill", _cases())
def test_nothing_listens_beyond_loopback_and_files_are_private_and_removed(name, kill):
    before = set(shm_files())
    tag = new_tag(f"exposure-{name}")
    env = {"SCENARIO_BACKEND": name, "SCENARIO_KILL": "1" if kill else "0"}
    rc, res, out, survivors = run_scenario(
        __name__, "open_run_close", tag, timeout=100, extra_env=env
    )
    if "unavailable" in res:
        pytest.skip(f"{name} unavailable here: {res['unavailable']}")
    exposed = [s for s in res["sockets"] if s[1] not in LOOPBACK]
    assert not exposed, f"listening beyond loopback while {name} is open: {exposed}"
    loose = {f: oct(mode) for f, mode in res["files"].items() if mode & 0o077}
    assert not loose, f"files of {name} readable by others: {loose}"
    if kill:
        assert res["killed"].startswith("WorkerError"), res
    # a dead rank no longer crashes MPI_Finalize at exit (kernels/mpi/finalize.py)
    assert rc == 0, out[-2000:]
    # after close only MPICH's segment of the driver itself may remain (MPI_Finalize
    # removes it at interpreter exit); after the process exited, nothing
    assert all(f.startswith(res["own_mpich_segment"]) for f in res["left_after_close"]), res
    left = sorted(set(shm_files()) - before)
    assert not left, f"{name} left files in {SHM}: {left}"
    assert not survivors
    case = f"{name} (killed worker)" if kill else name
    print(f"{case}: sockets {res['sockets']}, files {res['files']}")
