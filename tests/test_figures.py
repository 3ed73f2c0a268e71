"""measuring.figures: one table names every paired figure for asv's classes and the report."""

import json

from measuring import figures
from measuring.settings import Settings

from .asv_writer import Benchmarks, write_machine, write_run
from .helpers import benchmarks_module

QUICK = Settings.from_environment({"PARBENCH_SIZES": "quick"})


def test_every_figure_has_a_unique_name_and_its_methods():
    names = [(f.module, f.name) for f in figures.FIGURES]
    assert len(names) == len(set(names))
    for f in figures.FIGURES:  # estimate and bounds; the absolute times the estimate alone
        assert len(f.methods) == (1 if f.module == "suite" else 3), f.name


def test_asv_classes_are_made_from_the_table_with_its_names_and_versions():
    common = benchmarks_module("common")
    for module in ("paired", "roof", "seeds", "suite"):
        mod = benchmarks_module(module)
        for fig in figures.in_module(module):
            cls = getattr(mod, fig.name)
            assert cls.figure is fig and cls.unit == fig.unit
            assert cls.param_names == fig.param_names
            for method in fig.methods:
                name = f"{module}.{fig.name}.{method}"
                assert getattr(cls, method).version == common.versions()[name], name


def test_keys_match_what_a_measuring_process_records():
    (speedup,) = [f for f in figures.FIGURES if f.name == "VectorSumSpeedupEndToEnd"]
    assert speedup.key(QUICK, "end-to-end", "mpi", 16) == (
        "speedup",
        "sum",
        "end-to-end",
        "mpi",
        16,
    )
    (bound,) = [f for f in figures.FIGURES if f.name == "MatVecCopyBound"]
    assert bound.key(QUICK, "mpi") == ("copy bound", "matvec", "end-to-end", "mpi", None)
    (roof,) = figures.of_quantity("roof percent")
    assert roof.key(QUICK, "sum", "numba") == ("roof percent", "sum", "resident", "numba", None)
    (seed,) = figures.of_quantity("seed ratio")
    assert seed.key(QUICK, "sum:seed-mpi") == ("seed ratio", "sum", "resident", "seed-mpi", 16)
    assert figures.seed_size(QUICK, "matvec") == 16  # every other quick N: [16]


def test_the_report_reads_each_figure_by_its_table_name(tmp_path):
    """A result written under each table name comes back under the figure's key: the
    report keeps no list of class names of its own."""
    from benchmarks.report import library, records
    from benchmarks.report.results import Run, find_runs, select_runs

    bench = Benchmarks()
    expected = set()
    for fig in figures.FIGURES:
        params = [values[:1] for values in fig.params(QUICK)]
        if not all(params):
            continue  # no backend of this kind is selectable here
        bench.add_intervals(
            f"{fig.module}.{fig.name}", params, fig.param_names, [(2.0, 1.5, 2.5)], fig.methods
        )
        key = fig.key(QUICK, *(p[0] for p in params))
        if fig.quantity == "seed ratio":
            key = key[:4] + (None,)  # the report keys a seed ratio without its N
        expected.add(key)
    res = tmp_path / "results"
    write_machine(res)
    write_run(res, "a" * 40, 1700000000000, bench.rows)
    (res / "benchmarks.json").write_text(json.dumps(bench.meta))
    (header,) = select_runs(find_runs(str(res)))
    run = Run(header, str(res))
    read = set(records.read(run))
    read |= {("library ratio", k, "resident", b, at) for k, b, at, _ in library.rows(run)}
    assert read == expected, read ^ expected
