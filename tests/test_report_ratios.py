"""benchmarks.report.ratios: B / A of two independent runs, from per-process values or bounds."""

import json

import numpy as np

from benchmarks.report import ratios, records
from benchmarks.report.compare import compare
from benchmarks.report.results import Run, find_runs

from .asv_writer import Benchmarks, write_machine, write_run

KEYS = [("speedup", "sum", "resident", b, 4096) for b in ("mpi", "numba")]


def _run(res, commit, values, date):
    """A run whose two figures (mpi, numba speedups) have these per-process ``values``
    ({backend: [10 values]}), their intervals from the values' 2nd and 9th."""
    bench = Benchmarks()
    triples = []
    for backend in ("mpi", "numba"):
        v = sorted(values[backend])
        triples.append((float(np.median(v)), v[1], v[-2]))
    bench.add_intervals(
        "paired.VectorSumSpeedup",
        [["resident"], ["mpi", "numba"], [4096]],
        ["mode", "backend", "N"],
        triples,
    )
    write_machine(res)
    write_run(res, commit, date, bench.rows)
    (res / "benchmarks.json").write_text(json.dumps(bench.meta))
    folder = res / "paired" / "testbox" / f"{commit[:8]}-env-plan"
    folder.mkdir(parents=True)
    entries = {
        json.dumps(list(k)): {"interval": list(t) + [10, 40], "processes": values[k[3]]}
        for k, t in zip(KEYS, triples)
    }
    (folder / "figures.json").write_text(json.dumps(entries))


def _runs(tmp_path, with_values=True):
    """Runs A and B of one machine: B's mpi 20% faster (a difference that must be found),
    numba the same (one that must not)."""
    rng = np.random.default_rng(3)
    res = tmp_path / "results"

    def draw(factor):
        return [float(v) for v in factor * np.exp(rng.normal(0, 0.03, 10))]

    _run(res, "a" * 40, {"mpi": draw(1.0), "numba": draw(2.0)}, 1700000000000)
    _run(res, "b" * 40, {"mpi": draw(1.2), "numba": draw(2.0)}, 1700000100000)
    if not with_values:
        for path in res.rglob("figures.json"):
            path.unlink()
    headers = sorted(find_runs(str(res))["testbox"], key=lambda h: h["commit"])
    return [Run(h, str(res)) for h in headers]


def test_a_difference_is_found_and_a_sameness_is_not(tmp_path):
    run_a, run_b = _runs(tmp_path)
    pairs = compare(records.read(run_a), records.read(run_b))
    found = ratios.rows(run_a, run_b, pairs)
    assert [(k[3], method) for k, _iv, method in found] == [("mpi", "Moses")]
    ((_k, iv, _m),) = found
    assert 1.0 < iv.low < 1.2 < iv.high


def test_without_process_values_the_bounds_are_conservative(tmp_path):
    run_a, run_b = _runs(tmp_path, with_values=False)
    pairs = compare(records.read(run_a), records.read(run_b))
    found = ratios.rows(run_a, run_b, pairs)
    assert all(method == "bounds" for _k, _iv, method in found)
    moses = {k: iv for k, iv, _m in ratios.rows(*_runs(tmp_path / "v"), pairs)}
    for k, iv, _m in found:  # never narrower than the interval from the process values
        assert iv.low <= moses[k].low and iv.high >= moses[k].high
    assert "B / A where the interval excludes 1" in "\n".join(ratios.lines(run_a, run_b, pairs))
