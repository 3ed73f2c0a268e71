"""What every benchmark module of the asv suite shares: the settings, the base class, the figures.

* ``SETTINGS``: this run's ``measuring.settings.Settings``, read once from the
  PARBENCH_* switches (listed there).
* ``Benchmark``: the base of every benchmark class (asv's ``timeout``, explicit
  versions, and the teardown that closes what ``open_case`` opened).
* ``figure_classes``: the asv classes of the paired figures of one module, made
  from the table ``measuring.figures``.

The measuring itself (timing loops, cases, the paired measurement, intervals)
is the ``measuring`` package; this folder holds asv's modules only.
"""

import functools
import json
import os
import types

from measuring import figures, pairs, sizes
from measuring.cases import prepare_case, skip
from measuring.settings import current

from . import ROOT, importable_from_checkout  # noqa: F401 (the suite's modules use them from here)

#: this run's settings, read once from the environment
SETTINGS = current()


#: {asv benchmark name: version}, the explicit ``version`` of every benchmark.  asv
#: keeps a machine's earlier results only while a benchmark's version is unchanged,
#: and its default version is a hash of the benchmark's source (setup_cache's
#: included), so moving or tidying the measuring code would cut every graph.  An
#: entry changes only when what the benchmark measures changes (then a new value
#: starts a new history); tests/test_versions.py checks that every benchmark has one
#: and that each machine's newest committed run still matches.
VERSIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "versions.json")
BENCHMARK_PREFIXES = ("track_", "time_")


@functools.lru_cache(maxsize=1)
def versions():
    """The contents of ``VERSIONS_FILE`` ({name: version str}); OSError/ValueError if unreadable."""
    with open(VERSIONS_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def benchmark_name(cls, method):
    """asv's name of ``cls.method``: module (without the suite's package), class, method."""
    return f"{cls.__module__.split('.', 1)[-1]}.{cls.__name__}.{method}"


def _with_version(func, version):
    """A copy of ``func`` (same code, so asv shows the same source) carrying ``version``;
    a copy, since one function is inherited by several classes of different versions."""
    copy = types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__
    )
    copy.__dict__.update(func.__dict__)
    copy.__qualname__, copy.__kwdefaults__ = func.__qualname__, func.__kwdefaults__
    copy.version = version
    return copy


class Benchmark:
    """Base of every benchmark class: asv's timeout and the clean-up of opened cases.

    Every benchmark here is a ``track_``, which asv runs in one process (its
    ``processes``/``rounds`` settings apply to ``time_`` benchmarks only, and a
    later round's value would replace the first's); repeated processes, where a
    figure needs them, are ``measuring.pairs``'s.  ``open_case`` wraps
    ``prepare_case`` and remembers the backend, which ``teardown`` closes.  asv
    calls no teardown after a failed or skipped setup, so a failing
    ``open_case`` closes every case this setup opened before it.
    """

    timeout = 900

    def __init_subclass__(cls, **kwargs):
        """Give each benchmark method of ``cls`` its explicit version (``versions()``)."""
        super().__init_subclass__(**kwargs)
        table = versions()
        for attr in dir(cls):
            name = benchmark_name(cls, attr)
            if attr.startswith(BENCHMARK_PREFIXES) and name in table:
                setattr(cls, attr, _with_version(getattr(cls, attr), table[name]))

    def open_case(self, backend, kernel, n, resident=True, factory=None, n_workers=None):
        """``prepare_case`` with ``n_workers`` (default: the suite's); returns (call, host)."""
        if not hasattr(self, "opened"):
            self.opened = []
        try:
            run = SETTINGS.run_sizes(kernel)
            # an N of the grid beyond the one that reaches main memory here (measuring.sizes)
            if n in SETTINGS.sizes(kernel) and n not in run:
                why = sizes.beyond_reason(kernel, n, run[-1], sizes.last_level_bytes())
                skip(backend, kernel, n, sizes.BeyondLastLevel(why))
            be, call, host = prepare_case(
                backend, kernel, n, n_workers or SETTINGS.workers, SETTINGS.dtype, resident, factory
            )
        except BaseException:
            self.teardown()
            raise
        self.opened.append(be)
        return call, host

    def teardown(self, *params):
        for be in getattr(self, "opened", ()):
            be.close()
        self.opened = []


class PairedFigure(Benchmark):
    """Base of the classes made from ``measuring.figures``: one figure's (estimate, low, high).

    ``setup`` finds the figure in the shared paired measurement (asv's
    ``setup_cache``, run once per run for every class that has it) or skips it
    with the reason.
    """

    figure = None
    setup_cache = staticmethod(pairs.setup_cache)

    def setup(self, cache, *params):
        k = self.figure.key(SETTINGS, *params)
        self.value = [pairs.lookup(cache, k, i) for i in range(3)]


def _track(index):
    def track(self, cache, *params):
        return self.value[index]

    return track


def figure_classes(module_name):
    """{class name: asv class} of the figures whose classes live in ``module_name``.

    ``module_name``: the asv module's ``__name__`` ("benchmarks.paired"); each
    class has the figure's name, unit, params under ``SETTINGS`` and its three
    ``track_`` methods (``Figure.methods``: estimate, low bound, high bound).
    """
    out = {}
    for fig in figures.in_module(module_name.rsplit(".", 1)[-1]):
        namespace = {
            "__module__": module_name,
            "__doc__": f"{fig.quantity} of {fig.kernel or 'each kernel'} ({fig.mode}), "
            f"with its 95% interval ({', '.join(fig.methods)}).",
            "figure": fig,
            "unit": fig.unit,
            "params": fig.params(SETTINGS),
            "param_names": fig.param_names,
        }
        namespace.update({m: _track(i) for i, m in enumerate(fig.methods)})
        out[fig.name] = type(fig.name, (PairedFigure,), namespace)
    return out
