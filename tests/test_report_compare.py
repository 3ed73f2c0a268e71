"""``python -m benchmarks.compare A B`` (benchmarks.report.compare): two runs' paired
figures compared interval by interval, on the runs of ``write_compare_runs`` (known
overlaps: 3 of 4 speedups, 1 of 1 roof, 4 of 5 in all; a seed ratio only in A)."""

import io
import json

import pytest

from benchmarks import compare as entry
from benchmarks.report import compare
from benchmarks.report.records import Interval, read
from benchmarks.report.results import Run, find_runs, select_runs

from .report_data import (
    COMPARE_A,
    COMPARE_B,
    MACHINE,
    NEW_COMMIT,
    OLD_COMMIT,
    run_python,
    write_compare_runs,
    write_results,
)


def _main(argv):
    out = io.StringIO()
    return compare.main(argv, out=out), out.getvalue()


def _share_rows(text):
    """{quantity: [overlap, compared, share]} of the printed share table."""
    start = text.index("share of the compared intervals")
    rows = {}
    for line in text[start:].splitlines()[3:]:
        *name, ok, n, share = line.split()
        rows[" ".join(name)] = [ok, n, share]
    return rows


def test_compare_commits_lists_the_apart_and_the_shares(tmp_path):
    res, _ = write_compare_runs(tmp_path)
    rc, text = _main([OLD_COMMIT[:7], NEW_COMMIT[:7], "--results-dir", str(res)])
    assert rc == 0
    assert _share_rows(text) == {
        "speedup": ["3", "4", "75.0%"],
        "roof percent": ["1", "1", "100.0%"],
        "all": ["4", "5", "80.0%"],
    }
    assert "intervals that do not overlap: 1" in text
    apart = [ln for ln in text.splitlines() if ln.startswith("speedup ") and "[" in ln]
    assert len(apart) == 1
    assert apart[0].split() == [
        "speedup",
        "matvec",
        "resident",
        "mpi",
        "256",
        "3.00x",
        "[2.80,",
        "3.20]",
        "2.00x",
        "[1.90,",
        "2.10]",
    ]
    assert "(only in A: 1, only in B: 0)" in text  # the seed ratio B skipped
    assert text.startswith(f"A: {MACHINE} @ {OLD_COMMIT[:8]}")


def test_compare_files_by_path(tmp_path, capsys):
    _, (a, b) = write_compare_runs(tmp_path)
    assert entry.main([str(b), str(a)]) == 0  # B first: the same pairs, A and B swapped
    text = capsys.readouterr().out
    assert _share_rows(text)["all"] == ["4", "5", "80.0%"]
    assert "(only in A: 0, only in B: 1)" in text


def test_compare_pairs_and_shares(tmp_path):
    res, _ = write_compare_runs(tmp_path)
    runs = find_runs(str(res))
    a, b = (
        read(Run(h, str(res)))
        for c in (OLD_COMMIT, NEW_COMMIT)
        for h in select_runs(runs, commit=c)
    )
    pairs = compare.compare(a, b)
    assert [k[0] for k, *_ in pairs] == ["speedup"] * 4 + ["roof percent"]
    by_key = {k[1:]: (ia, ib, ok) for k, ia, ib, ok in pairs}
    touching = by_key[("matvec", "resident", "numba", 16)]
    assert touching == (
        Interval(*COMPARE_A[("resident", "numba", 16)]),
        Interval(*COMPARE_B[("resident", "numba", 16)]),
        True,
    )
    assert compare.shares(pairs) == [("speedup", 3, 4), ("roof percent", 1, 1), ("all", 4, 5)]


def test_nothing_comparable_exits_1(asv_results, capsys):
    argv = [OLD_COMMIT[:8], NEW_COMMIT[:8], "--results-dir", str(asv_results)]
    assert compare.main(argv) == 1  # runs without paired figures
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "nothing comparable" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["deadbeef", NEW_COMMIT[:8]],
        [OLD_COMMIT[:8], NEW_COMMIT[:8], "--machine", "nosuch"],
        ["nosuch.json", NEW_COMMIT[:8]],
        ["NOTES", NEW_COMMIT[:8]],
    ],
    ids=["unknown-commit", "unknown-machine", "missing-file", "not-a-run"],
)
def test_bad_selection_exits_2(tmp_path, capsys, argv):
    res, _ = write_compare_runs(tmp_path)
    notes = res / MACHINE / "notes.json"
    notes.write_text(json.dumps({"not": "a run"}))
    argv = [str(notes) if a == "NOTES" else a for a in argv]
    assert compare.main(argv + ["--results-dir", str(res)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: ")


def test_no_results_and_two_machines_exit_2(tmp_path, capsys):
    assert compare.main(["abc", "def", "--results-dir", str(tmp_path / "none")]) == 2
    assert "no asv results" in capsys.readouterr().err
    res = write_results(tmp_path, paired=True)
    (res / "other").mkdir()
    for f in (res / MACHINE).glob("*.json"):
        (res / "other" / f.name).write_text(f.read_text())
    assert compare.main([OLD_COMMIT[:8], NEW_COMMIT[:8], "--results-dir", str(res)]) == 2
    assert "--machine" in capsys.readouterr().err
    argv = [OLD_COMMIT[:8], NEW_COMMIT[:8], "--results-dir", str(res), "--machine", "other"]
    assert compare.main(argv) == 0  # the paired runs of write_results are the same: all overlap
    assert _share_rows(capsys.readouterr().out)["all"][2] == "100.0%"


def test_module_subprocess_and_help(tmp_path):
    _, (a, b) = write_compare_runs(tmp_path)
    proc = run_python("-m", "benchmarks.compare", str(a), str(b))
    assert proc.returncode == 0, proc.stderr
    assert "75.0%" in proc.stdout and "80.0%" in proc.stdout
    proc = run_python("-m", "benchmarks.compare", "--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: python -m benchmarks.compare")
    for opt in ("--results-dir", "--machine", "Exit status"):
        assert opt in proc.stdout
