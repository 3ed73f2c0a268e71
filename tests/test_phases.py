"""measuring.phases: the budget table and a run's record of its phases."""

import glob
import json
import os

import pytest

from measuring import phases

from .report_data import REPO

COMMITTED = sorted(
    glob.glob(os.path.join(REPO, "results", "amd-f25m17s1-2c-l3_32m-24g-fb86c9", "68d64ab6-*.json"))
)


def test_the_budgets_add_up_to_the_whole_run():
    assert sum(b for _p, b, _w in phases.PHASES) == phases.TOTAL_S
    assert "| paired measurement | 12 min 00 s |" in phases.table()


@pytest.mark.skipif(not COMMITTED, reason="the committed run 68d64ab6 is not in this checkout")
def test_asv_split_of_a_committed_run():
    """Run 68d64ab6: 1978.5 s of the paired setup_cache, 46.4 s of the farm's."""
    split = phases.asv_split(COMMITTED[0])
    assert 1978.5 + 340 < split["paired measurement"] < 1978.5 + 400
    assert 46.4 + 28 < split["task farm"] < 46.4 + 29
    assert 600 < split["asv benchmarks"] < 700  # suite, seeds, roof, ping-pong, runinfo


def test_record_of_steps(tmp_path):
    steps = tmp_path / "steps"
    steps.write_text(
        "install start 100.0\ninstall end 160.0\n"
        "asv run start 170.0\nasv run end 1370.0\n"
        "plots start 1380.0\nplots end 1400.5\n"
    )
    result = tmp_path / "r.json"
    result.write_text(
        json.dumps(
            {
                "result_columns": ["result", "params", "version", "started_at", "duration"],
                "results": {"suite.MatVec.track_time": [[1], [], "v", 0, 100.0]},
                "durations": {"<setup_cache pairs:1>": 900.0, "<setup_cache taskfarm:1>": 50.0},
            }
        )
    )
    rec = phases.record(str(steps), str(result), "box", "abcd1234", "env")
    assert rec["wall_s"] == 1300.5 and rec["steps_s"]["asv run"] == 1200.0
    got = {p: v["seconds"] for p, v in rec["phases"].items()}
    assert got == {
        "install": 60.0,
        "asv environment": 150.0,  # 1200 s of asv run less 1050 s it recorded
        "paired measurement": 900.0,
        "asv benchmarks": 100.0,
        "task farm": 50.0,
        "publish and plots": 20.5,
    }


def test_cli_writes_the_record(tmp_path, capsys):
    steps = tmp_path / "steps"
    steps.write_text("install start 0\ninstall end 200\n")
    out = tmp_path / "runs" / "box" / "r.json"
    assert phases.main(["--record", str(steps), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["wall_s"] == 200.0
    assert "over budget: install" in capsys.readouterr().out


def test_readme_shows_the_table_as_written_here():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as fh:
        assert phases.table() in fh.read()
