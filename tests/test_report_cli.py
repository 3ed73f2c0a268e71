"""benchmarks.report.cli and ``python -m benchmarks.plot``: options, files, exit status."""

import argparse
import json

import pytest

from benchmarks import plot
from benchmarks.report import cli, tables
from benchmarks.report.series import analyse

from .report_data import (
    MACHINE,
    NEW_COMMIT,
    OLD_COMMIT,
    check_png,
    check_svg,
    newest_run,
    run_python,
    write_results,
)

FIGURES = [f"{k}-{w}" for k in ("matvec", "sum") for w in ("time", "speedup", "bandwidth")]


def test_main_writes_every_figure(asv_results, tmp_path, capsys):
    out = tmp_path / "plots"
    assert plot.main(["--results", str(asv_results), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in FIGURES:
        check_png(out / MACHINE / f"{name}.png")
        check_svg(out / MACHINE / f"{name}.svg")
        assert str(out / MACHINE / f"{name}.png") in printed
    assert (out / MACHINE / "summary.md").read_text().startswith("# parbench summary")
    assert "crossover N" in printed
    assert NEW_COMMIT[:8] in printed


def test_summary_file_and_printed_text(asv_results, tmp_path, capsys):
    out = tmp_path / "plots"
    assert cli.main(["--results", str(asv_results), "--output", str(out), "--format", "png"]) == 0
    printed = capsys.readouterr().out
    md, text = tables.summary(analyse(newest_run(asv_results)))
    assert (out / MACHINE / "summary.md").read_text() == md
    paths = [str(out / MACHINE / f"{name}.png") for name in FIGURES]
    pages = [str(out / MACHINE / "summary.md"), str(out / MACHINE / "report.html")]
    assert printed == "\n".join(paths + pages + [text]) + "\n"
    assert "skipped or failed: opencl matvec 16 (resident, skipped)" in printed
    assert not list((out / MACHINE).glob("*.svg"))  # --format png only


def test_format_option_forms(asv_results, tmp_path, capsys):
    out = tmp_path / "plots"
    argv = ["--results", str(asv_results), "--output", str(out), "--format", "svg,PNG", ".svg"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == [
        str(out / MACHINE / "matvec-time.svg"),
        str(out / MACHINE / "matvec-time.png"),
    ]
    assert cli.parse_formats(" pdf, png ") == ["pdf", "png"]
    with pytest.raises(argparse.ArgumentTypeError, match="bmp"):
        cli.parse_formats("png,bmp")
    with pytest.raises(SystemExit) as exc:
        cli.main(["--results", str(asv_results), "--format", "bmp"])
    assert exc.value.code == 2


def test_commit_option_picks_older_run(asv_results, tmp_path, capsys):
    out = tmp_path / "plots"
    argv = [
        "--results",
        str(asv_results),
        "--output",
        str(out),
        "--commit",
        OLD_COMMIT[:6],
        "--format",
        "svg",
    ]
    assert plot.main(argv) == 0
    printed = capsys.readouterr().out
    assert OLD_COMMIT[:8] in printed and NEW_COMMIT[:8] not in printed
    assert OLD_COMMIT[:8] in (out / MACHINE / "summary.md").read_text()


def test_partial_run_without_roof_or_info(tmp_path, capsys):
    res = write_results(tmp_path, with_roof=False, with_info=False)
    out = tmp_path / "plots"
    assert plot.main(["--results", str(res), "--output", str(out), "--format", "png"]) == 0
    assert "not measured" in capsys.readouterr().out
    check_png(out / MACHINE / "matvec-bandwidth.png")


@pytest.mark.parametrize("argv_extra", [[], ["--machine", MACHINE]])
def test_bad_selection_exits_2(asv_results, tmp_path, capsys, argv_extra):
    base = ["--results", str(asv_results), "--output", str(tmp_path / "p")]
    assert plot.main(base + ["--machine", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and MACHINE in err
    assert plot.main(base + argv_extra + ["--commit", "deadbeef"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and OLD_COMMIT[:8] in err and NEW_COMMIT[:8] in err
    assert not (tmp_path / "p").exists()


def test_empty_results_exit_1(tmp_path, capsys):
    empty = tmp_path / "results"
    empty.mkdir()
    (empty / "benchmarks.json").write_text('{"version": 2}')
    for d in (empty, tmp_path / "missing"):
        assert plot.main(["--results", str(d), "--output", str(tmp_path / "p")]) == 1
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1
        assert "no asv results" in captured.err and "asv run" in captured.err
    assert not (tmp_path / "p").exists()


def test_run_without_kernel_timings_exits_1(tmp_path, capsys):
    res = tmp_path / "results"
    (res / MACHINE).mkdir(parents=True)
    run = {"commit_hash": NEW_COMMIT, "date": 1, "env_name": "e", "results": {}}
    (res / MACHINE / "fedcba98-e.json").write_text(json.dumps(run))
    out = tmp_path / "p"
    assert cli.main(["--results", str(res), "--output", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no MatVec/VectorSum timings in" in captured.err and "nothing to plot" in captured.err
    assert not (out / MACHINE / "summary.md").exists()


def test_module_subprocess(asv_results, tmp_path):
    out = tmp_path / "plots"
    proc = run_python("-m", "benchmarks.plot", "--results", str(asv_results), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    check_png(out / MACHINE / "sum-speedup.png")
    check_svg(out / MACHINE / "matvec-time.svg")
    assert str(out / MACHINE / "summary.md") in proc.stdout


def test_module_subprocess_no_results(tmp_path):
    proc = run_python(
        "-m",
        "benchmarks.plot",
        "--results",
        str(tmp_path / "nothing"),
        "--output",
        str(tmp_path / "p"),
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "no asv results in" in proc.stderr and "`asv run`" in proc.stderr
    assert proc.stdout == ""


def test_help_explains_every_option():
    proc = run_python("-m", "benchmarks.plot", "--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: python -m benchmarks.plot")
    for opt in ("--results", "--machine", "--commit", "--output", "--format"):
        assert opt in proc.stdout
