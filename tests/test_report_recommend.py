"""benchmarks.report.recommend on synthetic intervals: a clear winner, a tie, a winner
of small sizes only."""

from benchmarks.report.recommend import answer_ranges, faster_ranges, fmt_range, recommendation
from benchmarks.report.records import Interval


def iv(estimate, half=0.05):
    return Interval(estimate, estimate * (1 - half), estimate * (1 + half))


def test_a_clear_winner_over_every_n():
    speedups = {
        "numba": {2**10: iv(2.2), 2**12: iv(2.4)},
        "mpi": {2**10: iv(0.5), 2**12: iv(1.2)},
    }
    lines = recommendation(speedups, "sum")
    assert lines[0] == "sum, N = 2^10-2^12: **numba** (2.2-2.4x)"
    assert lines[1] == "sum, faster than serial numpy at: mpi: 2^12; numba: 2^10-2^12"


def test_a_tie_is_named_and_ends_where_the_intervals_part():
    speedups = {
        "numba": {64: iv(1.50), 128: iv(1.50), 256: iv(2.0)},
        "cython-openmp": {64: iv(1.48), 128: iv(1.45), 256: iv(1.0)},
    }
    ranges = answer_ranges(speedups)
    assert [(a, b, ans) for a, b, ans, _ in ranges] == [
        (64, 128, ("numba", "cython-openmp")),
        (256, 256, ("numba",)),
    ]
    lines = recommendation(speedups, "matvec")
    assert "tied with cython-openmp (their intervals overlap)" in lines[0]
    assert lines[1] == "matvec, N = 2^8: **numba** (2x)"


def test_a_winner_of_small_sizes_only_is_not_never():
    speedups = {
        "numba": {2**10: iv(2.0), 2**12: iv(1.5), 2**14: iv(0.8)},
        "mpi": {2**10: iv(0.1), 2**12: iv(0.5), 2**14: iv(1.6)},
    }
    assert faster_ranges(speedups["numba"]) == [(2**10, 2**12)]
    lines = recommendation(speedups, "sum")
    assert lines[0] == "sum, N = 2^10-2^12: **numba** (1.5-2x)"
    assert lines[1] == "sum, N = 2^14: **mpi** (1.6x)"
    assert "numba: 2^10-2^12" in lines[2] and "mpi: 2^14" in lines[2]


def test_an_interval_touching_one_is_not_faster():
    assert faster_ranges({8: Interval(1.1, 0.99, 1.2)}) == []
    assert fmt_range(3, 3) == "3" and fmt_range(2**6, 2**13) == "2^6-2^13"
    assert recommendation({}, "sum") == []


def test_a_tie_through_a_wide_interval_is_marked():
    speedups = {"numba": {64: iv(2.0)}, "mpi": {64: Interval(1.5, 0.5, 2.5)}}
    (line, _faster) = recommendation(speedups, "matvec")
    assert line == (
        "matvec, N = 2^6: **numba** (2x), tied with mpi* (their intervals overlap; "
        "*: only through an interval wider than 2x)"
    )
