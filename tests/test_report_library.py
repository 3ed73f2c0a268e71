"""The report's section on what a backend adds to its library's own calls (report/library.py)."""

from benchmarks.report import library


class _Run:
    """A results.Run stand-in: ``entries(cls, method)`` -> [(params, value)]."""

    def __init__(self, table):
        self.table = table

    def entries(self, cls, method, names=None):
        return self.table.get((cls, method), [])


def _entries(values):
    return [({"backend": "ipyparallel", "at": at}, v) for at, v in values]


def test_section_reads_estimate_and_bounds_and_the_target():
    rows = {"track_estimate": [1.05, 1.4], "track_low": [0.98, 1.3], "track_high": [1.12, 1.5]}
    table = {
        ("MatVecLibraryRatio", method): _entries(zip(["smallest N", "largest N"], v))
        for method, v in rows.items()
    }
    text = library.markdown(_Run(table))
    lines = [ln for ln in text.splitlines() if ln.startswith("| matvec")]
    assert len(lines) == 2
    assert "1.05x [0.98, 1.12]" in lines[0] and lines[0].endswith("| yes |")
    assert "no-op" in lines[0]
    assert "1.40x [1.30, 1.50]" in lines[1] and lines[1].endswith("| no |")


def test_no_section_without_numbers_or_with_a_skipped_bound():
    assert library.markdown(_Run({})) == ""
    nan = float("nan")
    table = {
        ("VectorSumLibraryRatio", m): _entries([("smallest N", v)])
        for m, v in (("track_estimate", 1.0), ("track_low", nan), ("track_high", 1.1))
    }
    assert library.markdown(_Run(table)) == ""
