"""The paired measurement keeps each process's records as it ends (measuring.process_records):
an interrupted run keeps what it measured, a rerun resumes, and a killed driver leaves no
measuring process behind."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from measuring.process_records import FIGURES, ProcessRecords, plan_hash

from .helpers import ROOT, new_tag, wait_none_tagged

PLAN = {"backends": ["numpy"], "processes": 6}


def _asv_env(monkeypatch, tmp_path):
    (tmp_path / "asv.conf.json").write_text(
        '{\n    // asv allows comments\n    "version": 1, "results_dir": "res"}'
    )
    monkeypatch.setenv("ASV_CONF_DIR", str(tmp_path))
    monkeypatch.setenv("ASV_COMMIT", "0123456789abcdef")
    monkeypatch.setenv("ASV_ENV_NAME", "virtualenv-py3.11-numpy")
    monkeypatch.setenv("PARBENCH_MACHINE", "testbox")


def test_folder_is_named_by_machine_commit_env_and_plan(monkeypatch, tmp_path):
    _asv_env(monkeypatch, tmp_path)
    store = ProcessRecords.for_run(PLAN)
    expected = (
        tmp_path
        / "res"
        / "paired"
        / "testbox"
        / f"01234567-virtualenv-py3.11-numpy-{plan_hash(PLAN)}"
    )
    assert store.folder == str(expected) and expected.is_dir()
    assert plan_hash(PLAN) != plan_hash({**PLAN, "processes": 7})


def test_unfinished_folder_resumes_and_finished_one_is_not_reused(monkeypatch, tmp_path):
    _asv_env(monkeypatch, tmp_path)
    first = ProcessRecords.for_run(PLAN)
    first.save(0, {"ratios": {"k": [1.0]}, "skips": {}})
    first.save(3, {"ratios": {}, "skips": {}})
    (tmp_path / "res" / "paired" / "testbox").joinpath("stray.json.123.tmp").write_text("{")
    again = ProcessRecords.for_run(PLAN)
    assert again.folder == first.folder and sorted(again.saved()) == [0, 3]
    assert again.saved()[0]["ratios"] == {"k": [1.0]}
    again.finish({"figure": 1})
    assert json.loads(open(os.path.join(first.folder, FIGURES)).read()) == {"figure": 1}
    fresh = ProcessRecords.for_run(PLAN)
    assert fresh.folder == first.folder + "-2" and fresh.saved() == {}


def test_outside_asv_a_temporary_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("ASV_CONF_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # an asv.conf.json beside a test must not be written into
    (tmp_path / "asv.conf.json").write_text('{"results_dir": "res"}')
    store = ProcessRecords.for_run(PLAN)
    assert not store.folder.startswith(str(tmp_path)) and not (tmp_path / "res").exists()


DRIVER = """
import sys
sys.path.insert(0, {root!r})
from measuring import pairs
cache = pairs.setup_cache()
print("figures", len(cache), flush=True)
"""


def _driver(tmp_path, tag):
    env = {
        **os.environ,
        "ASV_CONF_DIR": str(tmp_path),
        "ASV_COMMIT": "fedcba9876543210",
        "ASV_ENV_NAME": "env",
        "PARBENCH_MACHINE": "testbox",
        "PARBENCH_TEST_TAG": tag,
        "PARBENCH_SIZES": "quick",
        "PARBENCH_BACKENDS": "numpy",
        "PARBENCH_PROCESSES": "6",
        # 3 rounds: a process runs for seconds, so one that outlived the driver is seen
        "PARBENCH_ROUNDS": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER.format(root=str(ROOT))],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.timeout(600)
def test_killed_driver_leaves_no_process_and_a_rerun_resumes(tmp_path):
    (tmp_path / "asv.conf.json").write_text('{"version": 1, "results_dir": "res"}')
    paired = tmp_path / "res" / "paired" / "testbox"
    tag = new_tag("paired-kill")
    driver = _driver(tmp_path, tag)
    try:
        deadline = time.monotonic() + 300
        while not list(paired.glob("*/process-0.json")):
            assert driver.poll() is None, driver.communicate()
            assert time.monotonic() < deadline, "no process finished in 300 s"
            time.sleep(0.2)
        os.kill(driver.pid, signal.SIGKILL)  # as a killed asv: no clean-up runs
        driver.wait(timeout=10)
        waited, left = wait_none_tagged(tag, timeout=2)  # the parent-death signal: at once
        assert not left, f"measuring processes outlived the driver: {left}"
    finally:
        if driver.poll() is None:
            driver.kill()
    (folder,) = paired.iterdir()
    kept = sorted(p.name for p in folder.glob("process-*.json"))
    assert kept and not (folder / FIGURES).exists()

    rerun = _driver(tmp_path, new_tag("paired-rerun"))
    out, err = rerun.communicate(timeout=500)
    assert rerun.returncode == 0, err[-3000:]
    assert f"{len(kept)} of 6 processes resumed" in err, err[-3000:]
    figures = json.loads((folder / FIGURES).read_text())
    speedup = figures[json.dumps(["speedup", "matvec", "resident", "numpy", 256])]
    assert len(speedup["processes"]) == 6 and speedup["interval"][3] == 6
    lo, hi = speedup["interval"][1:3]
    assert all(lo <= v <= hi for v in sorted(speedup["processes"])[1:-1])


def test_without_parbench_machine_the_asv_run_names_the_machine(monkeypatch):
    """Records sit beside asv's results of the same name: the asv run's --machine."""
    from measuring import asv_paths, process_records

    class Parent:
        def __init__(self, args):
            self.args = args

        def cmdline(self):
            return self.args

    monkeypatch.delenv("PARBENCH_MACHINE", raising=False)
    for args, name in (
        (["/x/asv", "run", "--machine", "ci", "-b", "x"], "ci"),
        (["/x/asv", "run", "--machine=box"], "box"),
    ):
        monkeypatch.setattr(asv_paths, "asv_run_parent", lambda a=args: Parent(a))
        assert process_records._machine() == name
    monkeypatch.setattr(asv_paths, "asv_run_parent", lambda: Parent(["/x/asv", "run"]))
    from measuring.machine import machine_name

    assert process_records._machine() == machine_name()
