"""measuring.progress: the paired measurement's state in a file, printed by a follower."""

import io
import json
import subprocess
import sys
import time

from measuring import progress


def test_line_says_phase_processes_current_spent_and_left():
    state = {
        "phase": "paired measurement",
        "total": 10,
        "done": 3,
        "current": "sum mpi",
        "spent_s": 600.0,
        "left_s": 1400.0,
    }
    text = progress.line(state, now=0)
    assert text.endswith(
        "paired measurement: 3/10 processes done, now sum mpi, 10.0 min spent, about 23.3 min left"
    )
    assert text.startswith("parbench ")


def test_reporter_writes_a_whole_file_and_a_process_continues_it(tmp_path):
    path = tmp_path / "progress.json"
    rep = progress.Reporter("paired measurement", total=4, path=str(path))
    rep.process_done(60.0)
    state = json.loads(path.read_text())
    assert state["done"] == 1 and state["total"] == 4
    assert abs(state["left_s"] - 180.0) < 1e-6  # 3 processes of 60 s to go
    child = progress.Reporter.from_json(rep.as_json())
    child.update("matvec numba")
    state = json.loads(path.read_text())
    assert state["current"] == "matvec numba" and state["done"] == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_the_time_left_stops_at_the_budget_once_the_first_processes_are_done(tmp_path):
    path = tmp_path / "progress.json"
    rep = progress.Reporter("paired", total=20, path=str(path), budget_s=300.0, least=6)
    rep.state["started"] -= 100.0  # 100 s spent on one process
    rep.process_done(100.0)
    # five more processes must run whatever the budget: 500 s, not the budget's 200 s
    assert abs(json.loads(path.read_text())["left_s"] - 500.0) < 1.0
    for _ in range(6):
        rep.state["started"] -= 10.0
        rep.process_done(10.0)  # 7 done, mean 22.9 s, 160 s spent: 140 s of budget left
    assert abs(json.loads(path.read_text())["left_s"] - 140.0) < 1.0


def test_reporter_never_raises(tmp_path):
    rep = progress.Reporter("x", total=1, path=str(tmp_path / "missing" / "p.json"))
    rep.update("y")  # the folder does not exist: nothing written, no error


def test_follow_prints_while_the_process_lives_and_stops_after(tmp_path):
    path = tmp_path / "progress.json"
    rep = progress.Reporter("paired measurement", total=2, path=str(path))
    rep.update("sum numba")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.0)"])
    out = io.StringIO()
    t0 = time.monotonic()
    progress.follow(str(path), sleeper.pid, every=0.3, poll=0.05, out=out)
    sleeper.wait()
    lines = out.getvalue().splitlines()
    assert time.monotonic() - t0 < 5
    assert len(lines) >= 2 and all("now sum numba" in s for s in lines)


def test_follow_prints_the_end_once(tmp_path):
    path = tmp_path / "progress.json"
    rep = progress.Reporter("paired measurement", total=1, path=str(path))
    rep.process_done(5.0)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.8)"])
    out = io.StringIO()
    progress.follow(str(path), sleeper.pid, every=0.1, poll=0.05, out=out)
    sleeper.wait()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "1/1 processes done" in lines[0]


def test_cli_refuses_a_bad_interval(capsys):
    try:
        progress.main(["f", "--while-pid", "1", "--every", "0"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "--every must be > 0" in capsys.readouterr().err
