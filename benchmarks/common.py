"""What every benchmark of the asv suite shares: sizes, workers, timing loops, the base class.

* ``Benchmark``: the base of every benchmark class (asv's ``timeout``, and the
  teardown that closes what ``open_case`` opened).
* ``prepare_case``: open a backend, place and verify one case, or skip it.
* ``timing_samples`` / ``median_time``: the batched wall-clock loop.
* ``alternate``: several calls timed in turn, round after round, in one process.

Environment switches (read at asv discovery and in every benchmark process):

* ``PARBENCH_SIZES``: ``default`` (matvec N = 2**6 .. 2**13, sum N = 2**10 .. 2**26)
  or ``quick`` (a few small N, for CI and a first look).
* ``PARBENCH_BACKENDS``: comma-separated registry names to run (default: all six).
* ``PARBENCH_WORKERS``: workers per backend (default: all cores of this process).
* ``PARBENCH_DTYPE``: ``float64`` (default) or ``float32``.
* ``PARBENCH_PROCESSES`` / ``PARBENCH_ROUNDS``: the paired measurement's processes
  and rounds per process (``benchmarks/pairs.py``; default 10 x 4, quick 6 x 2; at
  least 6 processes, the fewest a 95% interval of the median can be had from).
"""

import functools
import gc
import json
import os
import statistics
import sys
import time
import types

from kernels import BackendUnavailable, get_backend
from kernels.memory import InsufficientMemory, check_fits
from kernels.verify import check_matvec, check_sum, make_matvec_inputs, make_sum_input

#: the checkout that holds this suite (its packages serve where the environment lacks them)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def importable_from_checkout(package):
    """Make ``package`` (farm, measuring) importable here and in every worker this run starts.

    A fresh install has it (setup.py); an environment built from a commit older than
    the package does not, so the checkout that holds this suite serves it, appended
    to sys.path here and to PYTHONPATH for the workers (ipyparallel engines, MPI
    ranks).  Appended, so an installed copy still comes first.
    """
    import importlib.util

    if importlib.util.find_spec(package) is None:
        sys.path.append(ROOT)
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        os.environ["PYTHONPATH"] = os.pathsep.join([*paths, ROOT])


importable_from_checkout("measuring")


SIZES = {
    "default": {"matvec": [2**k for k in range(6, 14)], "sum": [2**k for k in range(10, 27, 2)]},
    "quick": {"matvec": [16, 256], "sum": [16, 4096]},
}


def size_set():
    """Name of the selected size set; ValueError for an unknown PARBENCH_SIZES."""
    name = os.environ.get("PARBENCH_SIZES", "default")
    if name not in SIZES:
        raise ValueError(f"PARBENCH_SIZES={name!r}; choose one of {', '.join(SIZES)}")
    return name


def sizes(kernel):
    """The N values of ``kernel`` ('matvec' or 'sum') in the selected size set."""
    return SIZES[size_set()][kernel]


def selected_backends(all_names):
    """Registry names selected by PARBENCH_BACKENDS (default: all), in registry order."""
    raw = os.environ.get("PARBENCH_BACKENDS", "").strip()
    if not raw:
        return list(all_names)
    wanted = [b.strip() for b in raw.split(",") if b.strip()]
    unknown = [b for b in wanted if b not in all_names]
    if unknown:
        raise ValueError(
            f"PARBENCH_BACKENDS names unknown backends {unknown}; known: {', '.join(all_names)}"
        )
    return [b for b in all_names if b in wanted]


def backends_with(attribute, names):
    """The names in ``names`` whose backend class has a true ``attribute``, in order.

    A backend whose module cannot be imported here is kept: its setup records the
    skip and why.
    """
    from kernels import backend_class

    kept = []
    for name in names:
        try:
            if getattr(backend_class(name), attribute, False):
                kept.append(name)
        except BackendUnavailable:
            kept.append(name)
    return kept


def remote_backends():
    """The selected backends whose data lives away from the host arrays (``data_is_remote``)."""
    from kernels import BACKENDS

    return backends_with("data_is_remote", selected_backends(BACKENDS))


def pooling_backends():
    """The selected remote backends that keep end-to-end placements (``pools_placements``).

    For the others a cold end-to-end call is the same as a warm one.
    """
    return backends_with("pools_placements", remote_backends())


def workers():
    """PARBENCH_WORKERS as an int, or None (all cores)."""
    raw = os.environ.get("PARBENCH_WORKERS")
    return int(raw) if raw else None


def dtype():
    """PARBENCH_DTYPE: "float64" (default) or "float32"."""
    return os.environ.get("PARBENCH_DTYPE", "float64")


def timing_samples(fn, min_batch=2e-3, repeats=9, budget=2.0):
    """Wall-clock seconds per call of ``fn()`` (time.perf_counter), one value per sample.

    Calls are batched so one sample lasts at least ``min_batch`` seconds (so a
    microsecond kernel is not lost in timer resolution), then up to ``repeats``
    samples are taken, at least 3, stopping early once ``budget`` seconds are
    spent.  The garbage collector is off during samples, as in timeit.
    """

    def sample(number):
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            return (time.perf_counter() - start) / number
        finally:
            if gc_was_enabled:
                gc.enable()

    number = 1
    per_call = sample(number)
    while per_call * number < min_batch:
        number = min(max(2 * number, int(min_batch / max(per_call, 1e-9)) + 1), 10**6)
        per_call = sample(number)
    samples, spent = [per_call], per_call * number
    while len(samples) < repeats and (len(samples) < 3 or spent < budget):
        samples.append(sample(number))
        spent += samples[-1] * number
    return samples


def cold_time(fn, reset, repeats=5, budget=2.0):
    """Median seconds of single calls of ``fn()``, each after an untimed ``reset()``.

    For a call whose first run differs from the next (a cold placement): no
    batching, at least 3 calls, at most ``repeats``, stopping once ``budget``
    seconds of calls are spent.
    """
    samples = []
    while len(samples) < repeats and (len(samples) < 3 or sum(samples) < budget):
        reset()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median_time(fn, **kwargs):
    """Median of ``timing_samples(fn, **kwargs)``: seconds per call."""
    return statistics.median(timing_samples(fn, **kwargs))


def alternate(
    calls, rounds, pauses=0.3, repeats=3, budget=1.0, min_batch=2e-3, before=None, max_seconds=None
):
    """Time each of ``calls`` in turn, ``rounds`` times, in this process.

    Returns one list per round holding, for each call, its ``timing_samples``
    (seconds per call).  After call i's samples the loop sleeps ``pauses[i]``
    seconds (one number: the same after every call), so spinning workers of one
    side (MPI ranks spin 0.25 s after a call) are idle when the next side is
    timed.  Both sides of a ratio then see the same moments of a machine whose
    speed drifts.  ``before[i]`` (optional) runs, untimed, before call i's
    samples, and so does one untimed call of call i: it wakes workers that went
    to sleep during the other side's turn (MPI ranks sleep after spinning).
    ``max_seconds``: stop early, after at least 3 rounds, when another round
    would end past it (a slow case gets fewer rounds; its processes still count).
    """
    if not isinstance(pauses, (list, tuple)):
        pauses = [pauses] * len(calls)
    before = before or [None] * len(calls)
    result, start = [], time.perf_counter()
    for done in range(rounds):
        spent = time.perf_counter() - start
        if max_seconds is not None and done >= 3 and spent * (done + 1) / done > max_seconds:
            break
        row = []
        for call, pause, hook in zip(calls, pauses, before):
            if hook is not None:
                hook()
            call()
            row.append(timing_samples(call, min_batch=min_batch, repeats=repeats, budget=budget))
            if pause:
                time.sleep(pause)
        result.append(row)
    return result


def case_inputs(kernel, n):
    """The seeded host data of one case: (A, x) for matvec, (a,) for the sum."""
    if kernel == "matvec":
        return make_matvec_inputs(n, dtype())
    return (make_sum_input(n, dtype()),)


def place_case(be, kernel, n, inputs, resident=True, label=None):
    """Place ``inputs`` (from ``case_inputs``) on the open ``be``; verify one call.

    Returns ``(call, placed)``: ``call()`` runs the kernel once (resident: on
    data placed by ``put``; end-to-end: from the host arrays) and ``placed`` is
    the Resident to ``free`` (None for end-to-end).  Raises InsufficientMemory
    (before allocating) when the case does not fit, AssertionError for a wrong
    result.
    """
    check_fits(be, kernel, n, dtype(), be.workers, resident, started=True)
    label = label or be.name
    data = be.put(inputs[0]) if resident else inputs[0]
    if kernel == "matvec":
        A, x = inputs
        call = lambda: be.matvec(data, x)  # noqa: E731
        check_matvec(call(), A, x, label)
    else:
        call = lambda: be.vector_sum(data)  # noqa: E731
        check_sum(call(), inputs[0], label)
    return call, (data if resident else None)


def _skip(backend, kernel, n, exc):
    """Record a skip: asv stores NotImplementedError in setup as NaN, not a failure.

    The reason goes to stderr too, so ``asv run --show-stderr`` logs it.
    """
    print(
        f"parbench: skipped {kernel} {backend} N={n}: {type(exc).__name__}: {exc}",
        file=sys.stderr,
        flush=True,
    )
    raise NotImplementedError(f"{type(exc).__name__}: {exc}") from exc


def prepare_case(backend, kernel, n, workers, resident=True, factory=None):
    """Open ``backend``, place and verify one case; return (backend, call, host array).

    ``factory(name, workers=, dtype=)`` makes the unopened backend (None:
    ``kernels.get_backend``; ``kernels.seeds.seed_version`` for a seed).

    ``call()`` runs the kernel once (resident: on data placed by ``put``;
    end-to-end: from the host arrays).  The host array is A (N, N) for matvec, a
    (N,) for the sum.  A case that cannot run here raises NotImplementedError
    (asv's skip) after printing why; a wrong result raises AssertionError.
    """
    factory = factory or get_backend
    try:
        be = factory(backend, workers=workers, dtype=dtype()).open()
    except BackendUnavailable as exc:
        _skip(backend, kernel, n, exc)
    try:
        # Before the data is allocated: a case too large is skipped, not killed.
        # The backend is open, so its processes are already counted as used.
        check_fits(be, kernel, n, dtype(), be.workers, resident, started=True)
        inputs = case_inputs(kernel, n)
        call, _ = place_case(be, kernel, n, inputs, resident, label=backend)
        return be, call, inputs[0]
    except BaseException as exc:
        be.close()  # asv does not call teardown after a failed or skipped setup
        if isinstance(exc, InsufficientMemory):
            _skip(backend, kernel, n, exc)
        raise


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
    figure needs them, are ``benchmarks.pairs``'s.  ``open_case`` wraps
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
            be, call, host = prepare_case(
                backend, kernel, n, n_workers or workers(), resident, factory
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
