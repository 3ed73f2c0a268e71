"""The mpi backend (kernels/mpi): when it cannot start, a rank that dies, launcher-placed ranks.

* Unavailable: no mpi4py, no MPI library (``MPI4PY_LIBMPI`` pointing at none, in
  a child process: it is process-wide state), no mpiexec, a rank program that
  cannot start (kernels/mpi/spawn.py checks it before any Spawn, which would
  otherwise wait forever for a rank that died before MPI_Init).
* A rank killed mid-call: WorkerError within the bound.  Anything that kills a
  rank runs in its own Python process, started with ``start_new_session=True``:
  after a rank dies MPICH's process manager is gone (this process could spawn
  no more ranks) and it SIGKILLs its process group (see kernels/mpi/spawn.py).
  Scenarios run as ``python -c "import tests.test_mpi as t; t.scenario_...()"``
  from the repository root (``helpers.run_scenario``).
* Ranks placed by an MPI launcher: ``mpiexec -n P python -m kernels.mpi.world``.

Ctrl-C in a script using mpi, and asv timing out or interrupted on it, are in
test_faults.py; cross-backend correctness in test_kernels.py.
"""

import os
import pathlib
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types

import numpy as np
import psutil
import pytest

from kernels import BackendUnavailable, get_backend

from .helpers import (
    DEATH_BOUND_S,
    HIDE_MPI,
    OPEN_IN_CHILD,
    live_children,
    new_tag,
    report_result,
    run_python_code,
    run_scenario,
    unavailable,
)

pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")

MPIEXEC = pathlib.Path(sys.executable).with_name("mpiexec")


# ------------------------------------------------------------- unavailable


@pytest.mark.timeout(60)
def test_mpi_library_hidden_in_a_child_process():
    done = run_python_code(OPEN_IN_CHILD.format(name="mpi"), HIDE_MPI)
    assert re.search(
        r"UNAVAILABLE mpi backend needs mpi4py and an MPI library: (cannot load MPI"
        r" library|.*mpi4py)",
        done.stdout,
    ), done.stdout + done.stderr


@pytest.mark.timeout(60)
def test_mpi_without_mpi4py(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    assert unavailable("mpi").startswith("mpi backend needs mpi4py and an MPI library")


@pytest.mark.timeout(60)
def test_mpi_without_mpiexec(monkeypatch):
    pytest.importorskip("mpi4py.MPI")
    from kernels.mpi import spawn as mpi_spawn

    monkeypatch.setattr(mpi_spawn, "mpiexec_dir", lambda: None)
    assert "no 'mpiexec' beside Python or on PATH" in unavailable("mpi", workers=2)
    # one worker spawns nothing, so it needs no mpiexec
    with get_backend("mpi", workers=1) as be:
        assert be.vector_sum(np.ones(3)) == 3.0


@pytest.mark.timeout(60)
def test_mpi_worker_program_cannot_start(monkeypatch, tmp_path):
    """The rank program fails before MPI_Init: refused up front, not a hung Spawn."""
    pytest.importorskip("mpi4py.MPI")
    from kernels.mpi import spawn as mpi_spawn

    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'numpy'\" >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(mpi_spawn, "_checked", set())
    monkeypatch.setattr(mpi_spawn, "sys", types.SimpleNamespace(executable=str(fake)))
    msg = unavailable("mpi", workers=2)
    assert (
        "the worker program kernels.mpi.rank cannot start" in msg
        and "No module named 'numpy'" in msg
    )


def scenario_seed_rank_program_cannot_import():
    """In its own process: open mpi backends whose rank program cannot start.

    ``SCENARIO_PROGRAM`` (on PYTHONPATH) imports only where ``SCENARIO_DEPENDENCY``
    is in sys.modules, as it is here in the driver and not in a new interpreter.
    """
    from kernels.mpi.backend import MPIBackend
    from kernels.seeds import SeedMPI

    program, dependency = os.environ["SCENARIO_PROGRAM"], os.environ["SCENARIO_DEPENDENCY"]
    sys.modules[dependency] = types.ModuleType(dependency)

    class BrokenSeedMPI(SeedMPI):
        name = "seed-mpi-broken-rank-program"
        rank_program = program

    found = {}
    missing = MPIBackend(workers=2, rank_program="kernels.seeds.no_such_module")
    for case, be in [("seed", BrokenSeedMPI(workers=2)), ("missing", missing)]:
        t0 = time.monotonic()
        try:
            be.open()
            found[case] = "opened"
        except BackendUnavailable as exc:
            found[case] = f"BackendUnavailable: {exc}"
        found[f"{case}_s"], found[f"{case}_open"] = time.monotonic() - t0, be.is_open
        be.close()  # safe after a failed open
    report_result(**found, children=list(live_children().values()))


@pytest.mark.timeout(90)
def test_seed_rank_program_that_cannot_import_is_unavailable_not_a_hang(tmp_path):
    """A seed variant whose rank program fails to import: BackendUnavailable, no rank started.

    A rank that dies before MPI_Init makes MPI_Comm_spawn wait forever (in C:
    pytest-timeout cannot interrupt it), so the pre-flight of kernels.mpi.spawn
    (``python -m program --check``) must refuse the program first.  Here a
    ``kernels.seeds.SeedMPI`` subclass runs a rank program (the seeds'
    ``kernels.seeds.mpi_rank`` plus one import) that imports in the driver but
    not in a new interpreter, as when the ranks' environment lacks a package.
    It runs in a scenario process with a timeout, so a regression fails (the
    scenario times out and is killed) instead of hanging the test run.
    """
    pytest.importorskip("mpi4py.MPI")
    pytest.importorskip("numba")  # SeedMPI checks its nb_sum before the ranks start
    program, dependency = "parbench_broken_seed_rank", "parbench_dependency_only_the_driver_has"
    (tmp_path / f"{program}.py").write_text(
        "from kernels.seeds.mpi_rank import *  # noqa: F403\n"
        f"import {dependency}  # noqa: E402, F401\n"
    )
    pythonpath = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    tag = new_tag("mpi-rank-program")
    rc, res, out, survivors = run_scenario(
        __name__,
        "seed_rank_program_cannot_import",
        tag,
        timeout=60,
        extra_env={
            "PYTHONPATH": pythonpath,
            "SCENARIO_PROGRAM": program,
            "SCENARIO_DEPENDENCY": dependency,
        },
    )
    assert rc == 0, out[-2000:]
    assert res["seed"].startswith(
        f"BackendUnavailable: mpi backend: the worker program {program} cannot start in "
    ), res
    assert f"ModuleNotFoundError: No module named '{dependency}'" in res["seed"], res
    assert res["seed_s"] < 30 and not res["seed_open"], res
    # a rank program missing in the driver too is refused before anything starts
    assert res["missing"].startswith("BackendUnavailable: "), res
    assert "kernels.seeds.no_such_module" in res["missing"], res
    assert res["missing_s"] < 30 and not res["missing_open"], res
    assert res["children"] == [], res  # no rank, and no mpiexec, was started
    assert not survivors


# -------------------------------------------------------- a rank that dies


def scenario_kill_mpi_rank():
    """In its own process: SIGKILL rank 1 of 3 while rank 0 waits for it in a matvec."""
    from kernels import WorkerError, get_backend

    A = np.random.default_rng(0).uniform(-1, 1, (600, 600))
    x = np.ones(600)
    with get_backend("mpi", workers=3) as be:
        r = be.put(A)
        victim, other = (psutil.Process(p.pid) for p in be._procs)
        victim.send_signal(signal.SIGSTOP)
        killed_at = []
        threading.Timer(0.5, lambda: (killed_at.append(time.monotonic()), victim.kill())).start()
        try:
            be.matvec(r, x)
            error, took = "none", None
        except WorkerError as exc:
            error, took = f"WorkerError: {exc}", time.monotonic() - killed_at[0]
        victim_pid = victim.pid
        t0 = time.monotonic()
        try:
            be.vector_sum(np.ones(10))
            second = "none"
        except WorkerError as exc:
            second = f"WorkerError: {exc}"
        second_s = time.monotonic() - t0
    # leaving the block closed the backend: the other rank must be gone now
    _, alive = psutil.wait_procs([other], timeout=5)
    report_result(
        error=error,
        victim_pid=victim_pid,
        took=took,
        second=second,
        second_s=second_s,
        other_alive=[p.pid for p in alive],
        children=[
            c.pid
            for c in psutil.Process().children(recursive=True)
            if c.status() != psutil.STATUS_ZOMBIE
        ],
    )


@pytest.mark.timeout(90)
def test_killed_mpi_rank():
    tag = new_tag("mpi-kill")
    rc, res, out, survivors = run_scenario(__name__, "kill_mpi_rank", tag)
    # the killed rank is named; MPICH may have taken rank 2 down with it by then
    assert res["error"].startswith("WorkerError: mpi backend: rank"), out[-2000:]
    assert f"1 (pid {res['victim_pid']})" in res["error"], res
    assert "died" in res["error"]
    assert res["took"] <= DEATH_BOUND_S
    assert res["second"].startswith("WorkerError") and res["second_s"] < 1.0
    assert res["other_alive"] == []
    # left while the driver lives: only MPICH's mpiexec/proxy (they go with the driver)
    assert len(res["children"]) <= 2, res
    # MPI_Finalize is skipped once the process manager is gone (kernels/mpi/finalize.py)
    assert rc == 0, out[-2000:]
    assert not survivors  # nothing outlives the driver
    print(f"MPI rank killed mid-call: {res['error']} after {res['took']:.3f} s")


def scenario_rest_ends_the_spin():
    """CPU seconds a rank uses in the WINDOW_S after a call, without and with ``rest``."""
    with get_backend("mpi", workers=2) as be:
        a = np.ones(1000)
        rank = be._procs[0]  # the spawned rank 1

        def cpu_after(rest):
            be.vector_sum(a)
            if rest:
                be.rest()
            before = sum(rank.cpu_times()[:2])
            time.sleep(WINDOW_S)
            return sum(rank.cpu_times()[:2]) - before

        spinning, rested = cpu_after(False), cpu_after(True)
        assert be.vector_sum(a) == 1000.0  # the rank serves again after a rest
    report_result(spinning=spinning, rested=rested)


#: shorter than the ranks' spin after a call (kernels.mpi.SPIN_S = 0.25 s)
WINDOW_S = 0.2


@pytest.mark.timeout(90)
def test_rest_ends_the_ranks_spin():
    """After ``rest`` an idle rank sleeps instead of spinning SPIN_S on a core."""
    rc, res, out, survivors = run_scenario(__name__, "rest_ends_the_spin", new_tag("mpi-rest"))
    assert rc == 0, out[-2000:]
    assert res["spinning"] >= 0.5 * WINDOW_S, res  # the spin this test would miss
    assert res["rested"] <= 0.25 * WINDOW_S, res  # cpu_times counts 10 ms ticks
    assert not survivors


# ------------------------------- ranks placed by a launcher (kernels.mpi.world)

needs_mpiexec = pytest.mark.skipif(
    not MPIEXEC.exists(), reason=f"no mpiexec beside {sys.executable}"
)


def _launch(tmp_path, body, n=2):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [
            str(MPIEXEC),
            "-n",
            str(n),
            sys.executable,
            "-m",
            "kernels.mpi.world",
            str(script),
            "--an-arg",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        start_new_session=True,
    )


@needs_mpiexec
@pytest.mark.timeout(120)
def test_script_uses_the_launched_ranks(tmp_path):
    r = _launch(
        tmp_path,
        """
        import sys
        from kernels import get_backend
        from kernels.verify import check_matvec, check_sum, make_inputs
        for _ in range(2):  # two backends, one after the other, on the same ranks
            with get_backend("mpi") as be:
                for n in (0, 1, 2, 3, 1025):
                    A, x, a = make_inputs(n)
                    check_matvec(be.matvec(be.put(A), x), A, x, "mpi")
                    check_matvec(be.matvec(A, x), A, x, "mpi")
                    check_sum(be.vector_sum(be.put(a)), a, "mpi")
        print("workers", be.workers, "argv", sys.argv[1:])
    """,
        n=3,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "workers 3 argv ['--an-arg']" in r.stdout


@needs_mpiexec
@pytest.mark.timeout(120)
def test_wrong_worker_count_and_a_failing_script_end_the_run(tmp_path):
    r = _launch(
        tmp_path,
        """
        from kernels import get_backend
        get_backend("mpi", workers=5).open()
    """,
    )
    assert r.returncode != 0
    assert "has 2 ranks: open it with workers=2" in r.stderr


def scenario_transport_not_inherited():
    """Open a spawned mpi backend with no UCX_TLS set; report the environment after."""
    os.environ.pop("UCX_TLS", None)
    from kernels import get_backend

    with get_backend("mpi", workers=2) as be:
        during = os.environ.get("UCX_TLS")
        described = be.describe()["transport"]
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(os.environ.get('UCX_TLS'))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    report_result(during=during, described=described, child=child)


def test_single_host_transport_is_not_inherited_by_later_programs():
    """UCX_TLS=sm,self reaches MPI and the ranks, not a program the driver starts later."""
    rc, res, out, left = run_scenario(
        __name__, "transport_not_inherited", new_tag("transport"), timeout=120
    )
    assert rc == 0, out[-2000:]
    assert res["described"] == "UCX_TLS=sm,self", res
    assert res["during"] is None and res["child"] == "None", res
    assert not left
