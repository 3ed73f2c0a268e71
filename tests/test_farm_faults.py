"""Faults of the task farm: Ctrl-C during a farm, and a worker killed during a farm.

As in tests/test_faults.py: each scenario runs as ``python -c "import
tests.test_farm_faults as t; t.scenario_...()"`` from the repository root in a
new session (a killed MPI worker cannot reach pytest's process group), every
process it starts carries the test tag, and every test asserts the error, a time
bound and that no tagged process survives.
"""

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from farm import SCHEDULERS, task_costs
from kernels import WorkerError

from .helpers import (
    DEATH_BOUND_S,
    ROOT,
    kill_tagged,
    new_tag,
    processes_tagged,
    report_result,
    run_scenario,
    wait_none_tagged,
)
from .test_farm import open_or_report

pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")

#: the farm the scenarios loop on: long enough that a signal lands mid-farm
LOOP_FARM = ("uniform", 64, 4e-3)


def scenario_farm_loop():
    """Open SCENARIO_SCHEDULER, print RESULT with its workers, run farms until interrupted."""
    s = open_or_report()
    if s is None:
        return
    with s:
        s.run(task_costs("equal", 4, 1e-4))
        report_result(pid=os.getpid(), workers=list(s.worker_pids))
        while True:
            s.run(task_costs(*LOOP_FARM))


def _start_loop(name, tag):
    env = {**os.environ, "PARBENCH_TEST_TAG": tag, "SCENARIO_SCHEDULER": name}
    return subprocess.Popen(
        [sys.executable, "-c", f"import {__name__} as t; t.scenario_farm_loop()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", SCHEDULERS)
def test_ctrl_c_during_a_farm_leaves_no_process(name):
    """SIGINT to the script's process group (Ctrl-C in a terminal) while a farm runs."""
    tag = new_tag(f"farm-sigint-{name}")
    p = _start_loop(name, tag)
    try:
        line = p.stdout.readline()
        if line.startswith("RESULT ") and "unavailable" in line:
            pytest.skip(f"{name} unavailable here: {json.loads(line[7:])['unavailable']}")
        assert line.startswith("RESULT "), line + p.stderr.read()
        assert json.loads(line[7:])["workers"]
        assert processes_tagged(tag)  # the check below can fail
        time.sleep(0.5)  # well inside a farm
        os.killpg(p.pid, signal.SIGINT)
        t0 = time.monotonic()
        p.wait(timeout=60)
        err = p.stderr.read()
        took, left = wait_none_tagged(tag, 5.0)
        assert not left, left
        stopped = time.monotonic() - t0
        assert stopped <= DEATH_BOUND_S, stopped
        assert "KeyboardInterrupt" in err, f"exit code {p.returncode}: {err[-2000:]}"
        print(
            f"Ctrl-C during a {name} farm: exit code {p.returncode}, no process left after"
            f" {stopped:.2f} s"
        )
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        kill_tagged(tag)


#: a worker killed "during" a farm (0.3 s into a loop of farms), or "between" two
#: farms: killed after one, then BETWEEN_FARMS_S later the next farm starts
KILL_DELAY_S = 0.3

#: long enough for ipyparallel's controller to drop the dead engine's id (its
#: nanny reports the death; seen within 0.12 s), after which a submission naming
#: that id raised KeyError; MPI's next collective with the dead rank crashed
BETWEEN_FARMS_S = 2.0


def scenario_killed_worker():
    """Kill a worker (SCENARIO_WHEN: during or between farms): expect WorkerError, a clean close."""
    import threading

    s = open_or_report()
    if s is None:
        return
    victim = s.worker_pids[0]
    if os.environ["SCENARIO_WHEN"] == "during":
        threading.Timer(KILL_DELAY_S, lambda: psutil.Process(victim).kill()).start()
        delay = KILL_DELAY_S
    else:
        s.run(task_costs("equal", 4, 1e-4))
        psutil.Process(victim).kill()
        time.sleep(BETWEEN_FARMS_S)
        delay = 0.0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 30:
            s.run(task_costs(*LOOP_FARM))
        error = "no error"
    except WorkerError as exc:
        error = f"WorkerError: {exc}"
    except Exception as exc:  # the scheduler's library raised its own error
        error = f"{type(exc).__name__}: {exc}"
    noticed = time.monotonic() - t0 - delay
    s.close()
    report_result(error=error, noticed=noticed, victim=victim)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("when", ["during", "between"])
@pytest.mark.parametrize(
    "name", ["mpi-block", "mpi-futures", "ipyparallel-balanced", "ipyparallel-direct"]
)
def test_a_killed_worker_raises_worker_error_and_leaves_no_process(name, when):
    """The schedulers whose driver watches its workers itself (the pools raise their own).

    A worker killed between farms is the case where the library fails in its own
    way unless the scheduler checks first: ipyparallel raised KeyError on the
    dropped engine id, MPI crashed in the next collective.
    """
    tag = new_tag(f"farm-kill-{when}-{name}")
    rc, res, out, survivors = run_scenario(
        __name__,
        "killed_worker",
        tag,
        timeout=100,
        extra_env={"SCENARIO_SCHEDULER": name, "SCENARIO_WHEN": when},
    )
    if "unavailable" in res:
        pytest.skip(f"{name} unavailable here: {res['unavailable']}")
    assert res["error"].startswith("WorkerError"), res
    assert res["noticed"] <= DEATH_BOUND_S, res
    assert not survivors, survivors
    noticed = res["noticed"]
    print(f"{name}: a worker killed {when} farms noticed after {noticed:.2f} s: {res['error']}")
