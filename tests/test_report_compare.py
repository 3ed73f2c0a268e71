"""``python -m benchmarks.compare A B`` (benchmarks.report.compare): two runs' paired
figures compared interval by interval, on the runs of ``write_compare_runs`` (known
overlaps: 3 of 4 speedups, 1 of 1 roof, 4 of 5 in all; a seed ratio only in A), and
the runs' machine state (benchmarks.report.fingerprint) on ``write_state_runs`` and on
committed runs: the verdict of the pair that does not overlap."""

import io
import json

import pytest

from benchmarks import compare as entry
from benchmarks.report import compare, fingerprint
from benchmarks.report.records import Interval, read
from benchmarks.report.results import Run, find_runs, select_runs

from .report_data import (
    COMPARE_A,
    COMPARE_B,
    MACHINE,
    NEW_COMMIT,
    OLD_COMMIT,
    REPO,
    run_python,
    state,
    write_compare_runs,
    write_results,
    write_state_runs,
)


def _main(argv):
    out = io.StringIO()
    return compare.main(argv, out=out), out.getvalue()


def _share_rows(text):
    """{quantity: [overlap, compared, share]} of the printed share table."""
    start = text.index("share of the compared intervals")
    rows = {}
    for line in text[start:].splitlines()[3:]:
        if not line.strip():  # the end of the table
            break
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
    table, _, ratio_section = text.partition("B / A where")
    apart = [ln for ln in table.splitlines() if ln.startswith("speedup ") and "[" in ln]
    assert len(apart) == 1
    # the same figure is the one B / A tells apart (conservatively: no process values)
    assert ratio_section.startswith(
        " the interval excludes 1 (a difference the intervals can tell): 1 of 5"
    )
    (ratio_row,) = [ln for ln in ratio_section.splitlines() if ln.startswith("speedup ")]
    assert ratio_row.split()[:5] == ["speedup", "matvec", "resident", "mpi", "256"]
    assert ratio_row.split()[-1] == "bounds"
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
        "disagree",  # the same machine, no fact of its state known to differ
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


SUM_READ = "1-thread sum read"


def _apart_rows(text):
    """The rows of the table of intervals that do not overlap (after its dashed rule)."""
    lines = text[text.index("intervals that do not overlap:") :].splitlines()
    rows = []
    for line in lines[3:]:
        if not line.strip():
            break
        rows.append(line)
    return rows


def _differing(text):
    line = next(ln for ln in text.splitlines() if ln.startswith("facts that differ"))
    return line.split(": ", 1)[1]


def _fingerprints(res):
    runs = find_runs(str(res))
    return [
        fingerprint.fingerprint(Run(h, str(res)))
        for c in (OLD_COMMIT, NEW_COMMIT)
        for h in select_runs(runs, commit=c)
    ]


def test_serial_sums_apart_is_a_different_machine_state(tmp_path):
    slow = state(**{"sum serial": (2e-3, 1.9e-3, 2.1e-3)})  # 4 GB/s against 8 GB/s
    res, _ = write_state_runs(tmp_path, state_b=slow)
    rc, text = _main([OLD_COMMIT[:8], NEW_COMMIT[:8], "--results-dir", str(res)])
    assert rc == 0
    assert _differing(text) == SUM_READ
    # the speedup, and the serial sum time the fact is read from (a paired figure too)
    assert "intervals that do not overlap: 2, verdict: different machine state" in text
    rows = _apart_rows(text)
    assert [r.split()[:5] for r in rows] == [
        ["speedup", "matvec", "resident", "mpi", "256"],
        ["time", "sum", "serial", "numpy", "1000000"],
    ]
    assert all(r.endswith("different machine state") for r in rows)
    assert "disagree" not in text
    fact_row = next(ln for ln in text.splitlines() if ln.startswith(SUM_READ))
    assert "8.00 GB/s [7.62, 8.42] N=1000000" in fact_row
    assert "4.00 GB/s [3.81, 4.21] N=1000000" in fact_row
    assert fact_row.endswith("differs")
    a, b = _fingerprints(res)
    assert [(k, fa.value, fb.value) for k, fa, fb in fingerprint.differences(a, b)] == [
        (SUM_READ, 8.0, 4.0)
    ]


def test_same_state_keeps_disagree(tmp_path):
    res, _ = write_state_runs(tmp_path)
    rc, text = _main([OLD_COMMIT[:8], NEW_COMMIT[:8], "--results-dir", str(res)])
    assert rc == 0
    assert _differing(text) == "none"
    assert "intervals that do not overlap: 1, verdict: disagree" in text
    (row,) = _apart_rows(text)
    assert row.endswith("disagree")
    a, b = _fingerprints(res)
    assert a == b
    assert list(a) == [
        "machine",
        "hardware",
        "affinity",
        "workers",
        "load at start",
        "read roof",
        "triad roof",
        SUM_READ,
    ]
    assert fingerprint.differences(a, b) == [] and fingerprint.verdict([]) == "disagree"


@pytest.mark.parametrize(
    "changes, differing, verdict",
    [
        ({"read": 36.0}, "none", "disagree"),  # 1.20x: within +-10% of each other
        ({"read": 37.0}, "read roof", "different machine state"),  # 1.23x > 1.1/0.9
        ({"triad": 19.0}, "triad roof", "different machine state"),
        ({"sum serial": (1.1e-3, 1.04e-3, 1.2e-3)}, "none", "disagree"),  # overlap
        ({"info": {"workers": "1"}}, "workers", "different machine state"),
        ({"info": {"affinity": "0"}}, "affinity", "different machine state"),
        ({"info": {"load": "load average before the run: 1.50 1.0 1.0"}}, "none", "disagree"),
        ({"info": {"machine_name": "other-2c"}}, "hardware", "different machine"),
        ({"info": {"machine_name": "unknown (ImportError: x)"}}, "none", "disagree"),
    ],
    ids=[
        "roof-within",
        "roof-beyond",
        "triad",
        "sum-overlap",
        "workers",
        "affinity",
        "loaded",
        "hardware",
        "hardware-unknown",
    ],
)
def test_each_fact(tmp_path, changes, differing, verdict):
    res, _ = write_state_runs(tmp_path, state_b=state(**changes))
    rc, text = _main([OLD_COMMIT[:8], NEW_COMMIT[:8], "--results-dir", str(res)])
    assert rc == 0
    assert _differing(text) == differing
    assert f"intervals that do not overlap: 1, verdict: {verdict}" in text
    started = [ln for ln in text.splitlines() if ln.startswith("started loaded")]
    if "load" in changes.get("info", {}):  # B started at 0.75 per core: named, not a difference
        assert started == [
            "started loaded (1-minute load above 0.5 per core, named, not a difference): B"
        ]
        assert "0.75 per core (loaded: 1.50 on 2 cores)" in text
    else:
        assert started == []


def test_two_machine_folders_are_a_different_machine(tmp_path):
    res, (a, b) = write_state_runs(tmp_path)
    other = res / "otherbox"
    other.mkdir()
    moved = other / b.name
    moved.write_text(b.read_text())
    rc, text = _main([str(a), str(moved)])
    assert rc == 0
    assert _differing(text) == "machine"
    assert "intervals that do not overlap: 1, verdict: different machine" in text
    assert _apart_rows(text)[0].endswith("different machine")


def test_bandwidths_at_different_n_are_not_compared(tmp_path):
    res, _ = write_state_runs(tmp_path)
    a, b = _fingerprints(res)
    b[SUM_READ] = b[SUM_READ]._replace(value=1.0, low=0.9, high=1.1, n=1000)
    assert fingerprint.differences(a, b) == []
    assert [k for k, *_ in fingerprint.not_compared(a, b)] == [SUM_READ]
    assert "not compared (N differ)" in fingerprint.table(a, b)


@pytest.mark.parametrize(
    "cpus, text",
    [({0, 1}, "0-1"), ({0}, "0"), ({0, 1, 2, 5, 7, 8}, "0-2,5,7-8"), ([3, 1, 2], "1-3")],
)
def test_cpu_list(cpus, text):
    assert fingerprint.cpu_list(cpus) == text


def test_committed_xeon_runs_of_two_states():
    """c82d39f0 and e6b32813 ran on the same Xeon guest on two days: read roof 23.8 vs
    33.0 GB/s, one thread's sum at 2^26 7.55 vs 16.2 GB/s."""
    proc = run_python(
        "-m", "benchmarks.compare", "c82d39f0", "e6b32813", "--machine", "vm-intel-xeon"
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    differing = _differing(text).split(", ")
    assert {"read roof", "triad roof", SUM_READ} <= set(differing)
    assert "machine" not in differing
    assert ", verdict: different machine state" in text
    rows = _apart_rows(text)
    assert len(rows) > 10
    assert all(r.endswith("different machine state") for r in rows)
    assert "disagree" not in text


def test_committed_runs_of_two_machines():
    out = io.StringIO()
    results = f"{REPO}/results"
    assert compare.main(["5ba67993", "c82d39f0", "--results-dir", results], out=out) == 0
    text = out.getvalue()
    assert _differing(text).startswith("machine")
    assert ", verdict: different machine" in text
    assert all(r.endswith("different machine") for r in _apart_rows(text))
