"""Explicit benchmark versions (benchmarks/versions.json): the committed history continues.

asv publishes a machine's earlier results of a benchmark only while the benchmark's
version is unchanged.  The suite gives every benchmark an explicit version, so code
can move without cutting the graphs; these tests check the mechanism and that each
machine's newest committed run still carries the versions of today's suite (the
quick asv run in test_asv_suite.py checks that discovery gives every benchmark its
entry).
"""

import json
from pathlib import Path

import pytest

from benchmarks import common
from benchmarks.report.results import find_runs, select_runs

from .report_data import REPO

RESULTS = Path(REPO) / "results"


def test_inherited_methods_get_their_own_class_versions(monkeypatch):
    table = {"test_versions.First.track_x": "v-first", "test_versions.Second.track_x": "v-second"}
    monkeypatch.setattr(common, "versions", lambda: table)

    class _Base(common.Benchmark):
        def track_x(self, n):
            return n + 1

    class First(_Base):
        pass

    class Second(_Base):
        pass

    class Third(_Base):  # not in the table: asv's default (a hash of the source)
        pass

    assert First.track_x.version == "v-first" and Second.track_x.version == "v-second"
    assert not hasattr(Third.track_x, "version") and not hasattr(_Base.track_x, "version")
    assert First().track_x(1) == 2 and Second.track_x.__code__ is _Base.track_x.__code__


def test_every_committed_benchmark_has_a_version():
    meta = json.loads((RESULTS / "benchmarks.json").read_text())
    assert sorted(k for k in meta if k != "version") == sorted(common.versions())


@pytest.mark.parametrize("machine", sorted(find_runs(str(RESULTS))))
def test_newest_committed_run_continues_the_history(machine):
    """Every benchmark of the machine's newest run has today's version: asv publish
    draws it on the same line as the runs to come."""
    (header,) = select_runs(find_runs(str(RESULTS)), machine=machine)
    data = json.loads(Path(header["path"]).read_text())
    column = data["result_columns"].index("version")
    table = common.versions()
    stale = {
        name: row[column]
        for name, row in data["results"].items()
        if name in table and row[column] != table[name]
    }
    assert not stale, f"{header['path']}: versions changed for {sorted(stale)}"
    assert any(name in table for name in data["results"])
