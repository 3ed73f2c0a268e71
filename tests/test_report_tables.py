"""benchmarks.report.tables: cells, plain and markdown tables, notes, caption."""

from benchmarks.report import tables
from benchmarks.report.series import analyse

from .report_data import INFO, NEW_COMMIT, newest_run, write_results

#: numba matvec resident: 26.86 GB/s, 89.5% of the 30 GB/s read roof, 88.0% alternated,
#: 20.0 us at N=16, 2.00x at 4096, crossover 256
NUMBA_CELLS = [
    "matvec",
    "numba",
    "resident",
    "26.86",
    "89.5%",
    "88.0%",
    "4096",
    "20.0",
    "16",
    "2.00x",
    "256",
]


def test_summary_text_and_markdown(asv_results):
    md, printed = tables.summary(analyse(newest_run(asv_results)))
    assert md.startswith(f"# parbench summary: testbox @ {NEW_COMMIT[:8]}")
    line = next(ln for ln in md.splitlines() if ln.startswith("| matvec | numba | resident |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells == NUMBA_CELLS
    assert "| matvec | numpy | resident |" in md and "never" in md
    assert "| matvec | numpy | serial |" in md and "baseline" in md
    assert "skipped or failed: opencl matvec 16 (resident, skipped)" in printed
    assert "skipped or failed: mpi matvec 256 (resident, failed)" in md
    plain = next(
        ln for ln in printed.splitlines() if ln.split()[:3] == ["matvec", "numba", "resident"]
    )
    assert plain.split() == cells
    assert "## parbench vs the seeds' plain versions" in md
    assert "| matvec | seed-mpi | 0.90x |" in md
    assert "crossover N" in printed and NEW_COMMIT[:8] in printed
    assert md.endswith("\n") and not printed.endswith("\n")


def test_notes_without_roof_or_info(tmp_path):
    run = newest_run(write_results(tmp_path, with_roof=False, with_info=False))
    notes = tables.notes(run)
    assert notes[0] == "memory roof: not measured in this run"
    assert "matvec 8*(N*N + 2N), sum 8*N (8-byte elements)" in notes[-2]


def test_notes_name_unavailable_backends_and_itemsize(tmp_path):
    info = dict(INFO, dtype="float32", opencl="unavailable: no OpenCL platform")
    notes = tables.notes(newest_run(write_results(tmp_path, info=info)))
    assert "opencl: unavailable: no OpenCL platform" in notes
    assert any("matvec 4*(N*N + 2N), sum 4*N (4-byte elements)" in n for n in notes)


def test_caption_has_machine_and_run_info(asv_results):
    cap = tables.caption(newest_run(asv_results))
    assert "num_cpu 2" in cap and "Test CPU" in cap and "MPICH 5.0.2" in cap
    assert "ram 24.0 GiB" in cap
    assert all(len(line) <= 150 for line in cap.splitlines())


def test_plain_and_markdown_tables():
    header = ("a", "bb", "c", "d")
    cells = [("x|y", "1", "22", "-")]
    assert tables.plain_table(cells, header).splitlines() == [
        "a    bb  c   d",
        "---  --  --  -",
        "x|y  1   22  -",
    ]
    assert tables.markdown_table(cells, header).splitlines() == [
        "| a | bb | c | d |",
        "|---|---|---|---:|",
        "| x\\|y | 1 | 22 | - |",
    ]
    assert tables.fmt(None, ".2f") == "-" and tables.fmt("never", "d") == "never"
    assert tables.fmt(0.5, ".1f", "%") == "0.5%"
