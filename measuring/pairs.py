"""Paired measurements: every derived figure timed as a ratio, in alternation, over processes.

A speedup is the ratio of two times; timed minutes apart on a machine whose
speed drifts, it is mostly that drift.  So each ratio here is measured as a pair:
both sides on the same data, timed in turn, round after round, in one process
(``measuring.timing.alternate``), and the whole measurement is repeated in
several fresh processes (``Settings.processes``), because the variation between processes is
larger than within one.  ``measuring.intervals`` turns the per-process,
per-round ratios into an estimate and a 95% interval.

What one process measures (``measure``), for the suite's backends and sizes:

* ``speedup``: serial numpy time / backend time, resident and end-to-end, at
  every N (the backend's calls and the baseline's alternate in each round);
* ``time``: seconds per call of each side (serial, resident, end-to-end), the
  same rounds, so bandwidth (bytes moved / time) has an interval too;
* ``end-to-end cost``: end-to-end time / resident time of the same backend;
* ``copy bound``: at the largest N, end-to-end time / (one host copy of the
  operand into an already-touched array + the resident call), the same rounds:
  how close an end-to-end call is to the data movement it cannot avoid;
* ``roof percent``: at the largest N, the backend's GB/s as % of the best read
  bandwidth of that round, the roof being the fastest of several read kernels
  timed in the same alternation (the compiled STREAM read, STREAM triad, the
  numba and numpy sums, and, for the sum, the case's own timing of that round),
  so no sum can read above it;
* ``seed ratio``: seed variant time / the backend it is the plain version of,
  at the largest seed N;
* ``library ratio``: (``reference_calls``: ipyparallel) the call / the library's
  own call on the same workers, a no-op (smallest N) or the compute alone (largest N).

``setup_cache()`` (asv's, shared by every benchmark that reads these figures)
runs the settings' ``processes`` processes one after the other, each as
``python -c "...measure..."`` with the checkout appended to sys.path (so
``kernels`` and ``measuring`` are the installed ones of the benchmarked
commit), and returns {key: Interval or skip reason}.  Keys: (quantity, kernel,
mode, backend, N); see ``key``.  Which figures exist, under which asv names, is
``measuring.figures``.

Each process measures every figure once, in the same order, and the processes
follow one another, so a figure's processes are spread evenly over the whole
paired phase (about 1.5 minutes apart on the default sizes): a machine that
drifts during the run widens that figure's interval instead of shifting it.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from kernels import BACKENDS, BackendUnavailable, get_backend
from kernels.facts import KERNELS, bytes_moved
from kernels.memory import InsufficientMemory
from kernels.mpi.process_manager import die_with_parent

from . import sizes, stopping
from .cases import case_inputs, place_case, reason, say_skipped
from .figures import LIBRARY_POINTS, seed_size
from .interference import Watch
from .intervals import min_processes, ratio_interval
from .process_records import ProcessRecords
from .progress import Reporter
from .settings import current
from .timing import alternate

#: the checkout that holds this package (appended to a measuring process's sys.path)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: seconds of alternation one case may take in one process (a slow case gets fewer
#: rounds, at least 3; the interval is over processes, so it keeps its meaning)
CASE_SECONDS = 1.0
#: seconds one measuring process may take before it is killed
PROCESS_TIMEOUT_S = 1800
MODES = ("resident", "end-to-end")


def key(quantity, kernel, mode, backend, n):
    """The cache key of one figure (n is None for per-kernel figures such as the roof)."""
    return (quantity, kernel, mode, backend, n)


def _ratios(rows, num, den):
    """Per-round ratio of side ``num``'s median time to side ``den``'s."""
    return [float(np.median(r[num]) / np.median(r[den])) for r in rows]


def _times(rows, side):
    """Per-round median seconds per call of side ``side``."""
    return [float(np.median(r[side])) for r in rows]


class _Recorder:
    """The records of one process: key -> per-round ratios, or key -> skip reason, and
    case (kernel, backend, N as JSON) -> seconds spent on it."""

    def __init__(self):
        self.ratios, self.skips, self.seconds, self.rounds = {}, {}, {}, {}

    def spent(self, case, seconds):
        self.seconds[json.dumps(list(case))] = round(seconds, 3)

    def watched(self, case, watch):
        """Add the round notes of ``watch`` (``measuring.interference.Watch``) to ``case``:
        [rounds noted, rounds marked, [note, ...]]."""
        noted, marked, notes = watch.summary()
        entry = self.rounds.setdefault(json.dumps(list(case)), [0, 0, []])
        entry[0] += noted
        entry[1] += marked
        entry[2] += notes

    def add(self, k, values):
        self.ratios[json.dumps(k)] = values

    def skip(self, k, why):
        self.skips[json.dumps(k)] = why


def _read_candidates(host, threads):
    """[(call, bytes moved)] of the read kernels the roof is the best of."""
    from kernels.compiled import load_openmp_loops

    loops = load_openmp_loops()
    flat = host.reshape(-1)
    a = flat[: flat.nbytes // 8 * 8 // flat.itemsize].view(np.float64)
    third = a.size // 3
    b, c = np.ones(third), np.ones(third)
    t = np.empty(third)
    cands = [
        (lambda: loops.stream_read(a, threads), a.nbytes),
        (lambda: loops.stream_triad(t, b, c, 3.0, threads), 3 * t.nbytes),
        (lambda: a.sum(), a.nbytes),
    ]
    try:
        nb = get_backend("numba", workers=threads).open()
        cands.append((lambda: nb.vector_sum(a), a.nbytes))
    except BackendUnavailable:
        nb = None
    return cands, nb


def _roof(rec, be, kernel, n, call, host, plan):
    """Record ``roof percent``: the case's GB/s / the best read kernel's, per round."""
    cands, nb = _read_candidates(host, be.workers)
    try:
        calls = [call] + [c for c, _ in cands]
        rests = [be.rest] + [None] * len(cands)
        watch = Watch()
        rows = alternate(
            calls,
            plan["rounds"],
            rests,
            repeats=1,
            min_batch=5e-3,
            before=[be.claim_threads] + [None] * len(cands),
            max_seconds=2 * CASE_SECONDS,
            watch=watch,
        )
        rec.watched((kernel, be.name, n), watch)
        moved = bytes_moved(kernel, n, host.itemsize)
        percents = []
        for r in rows:
            case = moved / np.median(r[0])
            best = max(nbytes / np.median(t) for (_, nbytes), t in zip(cands, r[1:]))
            # the sum is a read kernel itself: the same timing counts among the roof's
            # candidates, so it can never read above 100%
            percents.append(100.0 * case / (max(best, case) if kernel == "sum" else best))
        rec.add(key("roof percent", kernel, "resident", be.name, None), percents)
    finally:
        if nb is not None:
            nb.close()


def _one_size(rec, base, be, kernel, n, plan):
    """Alternate baseline, resident and (remote backends) end-to-end calls at one N."""
    try:
        inputs = case_inputs(kernel, n, plan["dtype"])
        base_call, base_r = place_case(base, kernel, n, inputs)
        call, placed = place_case(be, kernel, n, inputs)
        calls = [base_call, call]
        if be.data_is_remote:
            e2e, _ = place_case(be, kernel, n, inputs, resident=False)
            calls.append(e2e)
            largest = n == plan["sizes"][kernel][-1]
            if largest:
                calls.append(_host_copy(inputs[0]))
    except InsufficientMemory as exc:
        for mode in MODES:
            rec.skip(key("speedup", kernel, mode, be.name, n), reason(exc))
        return
    # the backend's sides run back to back; its workers rest before the next round
    rests = [None] * (len(calls) - 1) + [be.rest]
    hooks = [base.claim_threads] + [be.claim_threads] * (len(calls) - 1)
    watch = Watch()
    rows = alternate(
        calls,
        plan["rounds"],
        rests,
        repeats=1,
        min_batch=5e-3,
        before=hooks,
        max_seconds=CASE_SECONDS,
        watch=watch,
    )
    rec.watched((kernel, be.name, n), watch)
    rec.add(key("speedup", kernel, "resident", be.name, n), _ratios(rows, 0, 1))
    rec.add(key("time", kernel, "resident", be.name, n), _times(rows, 1))
    if be.name == plan["backends"][0]:  # the baseline's own times, once per process
        rec.add(key("time", kernel, "serial", "numpy", n), _times(rows, 0))
    if be.data_is_remote:
        rec.add(key("speedup", kernel, "end-to-end", be.name, n), _ratios(rows, 0, 2))
        rec.add(key("time", kernel, "end-to-end", be.name, n), _times(rows, 2))
        rec.add(key("end-to-end cost", kernel, "end-to-end", be.name, n), _ratios(rows, 2, 1))
        if largest:
            bound = [float(np.median(r[2]) / (np.median(r[3]) + np.median(r[1]))) for r in rows]
            rec.add(key("copy bound", kernel, "end-to-end", be.name, None), bound)
    if n == plan["sizes"][kernel][-1]:
        _roof(rec, be, kernel, n, call, inputs[0], plan)
    if hasattr(be, "reference_calls") and n in (
        plan["sizes"][kernel][0],
        plan["sizes"][kernel][-1],
    ):
        _library_ratio(rec, be, kernel, n, call, placed, inputs, plan)
    be.free(placed)
    base.free(base_r)


def _library_ratio(rec, be, kernel, n, call, placed, inputs, plan):
    """Record ``library ratio``: the backend's call / the library's own call on its workers.

    At the smallest N the reference is the library's no-op call (the backend's
    floor against the library's round trip); at the largest, a call in which the
    workers run the kernel on their blocks and return nothing (compute + round trip).
    """
    refs = be.reference_calls(kernel, placed, inputs[1] if kernel == "matvec" else None)
    smallest = n == plan["sizes"][kernel][0]
    reference = refs["no-op"] if smallest else refs["compute"]
    watch = Watch()
    rows = alternate(
        [call, reference],
        plan["rounds"],
        repeats=1,
        min_batch=5e-3,
        max_seconds=CASE_SECONDS,
        watch=watch,
    )
    rec.watched((kernel, be.name, n), watch)
    at = LIBRARY_POINTS[0] if smallest else LIBRARY_POINTS[1]
    rec.add(key("library ratio", kernel, "resident", be.name, at), _ratios(rows, 0, 1))


def _host_copy(host):
    """A call copying ``host`` into an array whose pages are already touched."""
    dst = np.ones_like(host)
    return lambda: np.copyto(dst, host)


def _wanted(plan, case):
    """True when ``case`` (kernel, backend or seed variant, N) is to be measured by this
    process: every case, unless the plan lists the open ones (``only``)."""
    only = plan.get("only")
    return only is None or list(case) in only


def _skip_beyond(rec, kernel, backend, plan):
    """Record the grid's N beyond those the machine runs as skipped, with why."""
    run = plan["sizes"][kernel]
    for n in plan.get("grid", plan["sizes"])[kernel]:
        if n not in run:
            why = sizes.beyond_reason(kernel, n, run[-1], plan["last_level_cache_bytes"])
            for mode in MODES:
                rec.skip(key("speedup", kernel, mode, backend, n), why)


def _backend_cases(rec, backend, plan, progress=None):
    """Both kernels' cases of one backend and the ratios of the seeds that compare to it,
    the backend opened once (opening ipyparallel's engines or MPI's ranks takes seconds)."""
    wanted = {}
    for kernel in KERNELS:
        _skip_beyond(rec, kernel, backend, plan)
        wanted[kernel] = [n for n in plan["sizes"][kernel] if _wanted(plan, (kernel, backend, n))]
    seeds = [tuple(s) for s in plan["seeds"] if _compares_to(s[1]) == backend]
    seeds = [s for s in seeds if _wanted(plan, s)]
    if not any(wanted.values()) and not seeds:
        return
    with get_backend("numpy", workers=1, dtype=plan["dtype"]) as base:
        try:
            be = get_backend(backend, workers=plan["workers"], dtype=plan["dtype"]).open()
        except BackendUnavailable as exc:
            for kernel, ns in wanted.items():
                for n in ns:
                    for mode in MODES:
                        rec.skip(key("speedup", kernel, mode, backend, n), reason(exc))
            for kernel, variant, n in seeds:
                rec.skip(key("seed ratio", kernel, "resident", variant, n), reason(exc))
            return
        try:
            for kernel, ns in wanted.items():
                print(
                    f"parbench: paired {kernel} {backend} (pid {os.getpid()})",
                    file=sys.stderr,
                    flush=True,
                )
                if progress is not None and ns:
                    progress.update(f"{kernel} {backend}")
                for n in ns:
                    t0 = time.monotonic()
                    _one_size(rec, base, be, kernel, n, plan)
                    rec.spent((kernel, backend, n), time.monotonic() - t0)
            if progress is not None and seeds:
                progress.update(f"the seeds that compare to {backend}")
            for kernel, variant, n in seeds:
                t0 = time.monotonic()
                _seed_case(rec, be, kernel, variant, n, plan)
                rec.spent((kernel, variant, n), time.monotonic() - t0)
        finally:
            be.close()


def _compares_to(variant):
    from kernels.seeds import SEED_VERSIONS

    return SEED_VERSIONS[variant].compares_to


def _seed_case(rec, be, kernel, variant, n, plan):
    """Record ``seed ratio``: the seed variant's time / the open backend ``be``'s, alternated."""
    from kernels.seeds import seed_version

    k = key("seed ratio", kernel, "resident", variant, n)
    sv, placed = None, None
    try:
        sv = seed_version(variant, workers=plan["workers"], dtype=plan["dtype"]).open()
        inputs = case_inputs(kernel, n, plan["dtype"])
        seed_call, _ = place_case(sv, kernel, n, inputs)
        call, placed = place_case(be, kernel, n, inputs)
        watch = Watch()
        rows = alternate(
            [seed_call, call],
            plan["seed_rounds"],
            [sv.rest, be.rest],
            repeats=1,
            min_batch=5e-3,
            max_seconds=CASE_SECONDS,
            watch=watch,
        )
        rec.watched((kernel, variant, n), watch)
        rec.add(k, _ratios(rows, 0, 1))
    except (BackendUnavailable, InsufficientMemory) as exc:
        rec.skip(k, reason(exc))
    finally:
        if placed is not None:
            be.free(placed)
        if sv is not None:
            sv.close()


def measure(plan, progress=None):
    """One process's paired measurements of ``plan`` (see ``make_plan``): a _Recorder.

    ``progress``: a ``measuring.progress.Reporter`` told what is measured (optional).
    """
    rec = _Recorder()
    for backend in plan["backends"]:
        _backend_cases(rec, backend, plan, progress)
    return rec


def make_plan(settings=None):
    """The measurement plan of a run (JSON-able dict) from ``settings`` (default: ``current()``).

    A measuring process reads everything from its plan, nothing from the environment.
    """
    from kernels.seeds import SEED_VERSIONS, variants

    settings = settings or current()
    backends = settings.selected_backends(BACKENDS)
    seeds = [
        (kernel, v, seed_size(settings, kernel))
        for kernel in KERNELS
        for v in variants(kernel)
        if SEED_VERSIONS[v].compares_to in backends
    ]
    return {
        "workers": settings.workers,
        "dtype": settings.dtype,
        "backends": backends,
        # the grid is asv's parameters; "sizes" the part of it this machine runs
        # (measuring.sizes: up to 4x the last-level cache)
        "grid": {kernel: list(settings.sizes(kernel)) for kernel in KERNELS},
        "sizes": {kernel: list(settings.run_sizes(kernel)) for kernel in KERNELS},
        "last_level_cache_bytes": sizes.last_level_bytes(),
        "rounds": settings.rounds,
        "seed_rounds": max(2, settings.rounds // 2),
        "seeds": seeds,
        "processes": settings.processes,
        "budget_s": settings.budget_s,
    }


_CHILD = """
import json, sys
sys.path.append({root!r})
from measuring import pairs
from measuring.progress import Reporter
rec = pairs.measure(json.loads({plan!r}), Reporter.from_json({progress!r}))
with open({out!r}, "w") as f:
    json.dump({{"ratios": rec.ratios, "skips": rec.skips,
               "case_seconds": rec.seconds, "case_rounds": rec.rounds}}, f)
"""


def _run_process(plan, out, root, progress):
    """One measuring process; returns its records, or None (the reason printed) if it failed.

    ``progress``: the run's ``measuring.progress.Reporter``, which the process continues.
    """
    code = _CHILD.format(root=root, plan=json.dumps(plan), out=out, progress=progress.as_json())
    with tempfile.TemporaryDirectory(prefix="parbench-paired-") as cwd:
        try:
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=cwd,
                timeout=PROCESS_TIMEOUT_S,
                # set between fork and exec, so no moment of the child's start escapes it:
                # a killed asv (or its timeout) takes this measuring process with it
                preexec_fn=die_with_parent,
            )
        except subprocess.TimeoutExpired:
            print(f"parbench: a paired process ran over {PROCESS_TIMEOUT_S} s", file=sys.stderr)
            return None
    if not os.path.exists(out):
        print(f"parbench: a paired process failed (exit {done.returncode})", file=sys.stderr)
        return None
    with open(out) as f:
        return json.load(f)


def _groups(records):
    """({key: [per-round ratios of each process that has it]}, {key: skip reason})."""
    groups, skips = {}, {}
    for r in records:
        for k, values in r["ratios"].items():
            groups.setdefault(k, []).append(values)
        skips.update(r["skips"])
    return groups, skips


def _say_skipped(records):
    """Print each skipped case once, with its reason (asv's log keeps the run's stderr)."""
    said = set()
    for k, why in sorted(_groups(records)[1].items()):
        quantity, kernel, _mode, backend, n = json.loads(k)
        if (kernel, backend, n) not in said:
            said.add((kernel, backend, n))
            say_skipped(backend, kernel, n, why)


def combine(records):
    """{key: Interval or skip reason} from the records of several processes."""
    groups, skips = _groups(records)
    result = {tuple(json.loads(k)): why for k, why in skips.items()}
    for k, g in groups.items():
        try:
            result[tuple(json.loads(k))] = tuple(ratio_interval(g))
        except ValueError as exc:
            result[tuple(json.loads(k))] = f"no interval: {exc}"
    return result


def case_of(plan, k):
    """The case (kernel, backend, N) whose measurement gives the figure ``k``.

    The roof and the copy bound (N None) are measured at the largest N, a library
    ratio at its point's N, the serial baseline's times with the first backend.
    """
    quantity, kernel, mode, backend, n = k
    run = plan["sizes"].get(kernel, [])
    if quantity == "seed ratio":
        return (kernel, backend, n)
    if n is None or n == LIBRARY_POINTS[1]:
        n = run[-1]
    elif n == LIBRARY_POINTS[0]:
        n = run[0]
    if mode == "serial":
        backend = plan["backends"][0]
    return (kernel, backend, n)


def _keyed(record):
    """A process record's ratios keyed by tuples, as ``measuring.stopping`` takes them."""
    return {tuple(json.loads(k)): v for k, v in record["ratios"].items()}


def figures_file(records, combined, plan, stopped_by, over_budget=()):
    """figures.json's content: for every figure (its key as JSON), the interval (or the
    skip reason), each process's value (exp of the median of its log ratios, in
    process order: what the interval was made from, kept for the report), and its
    ``status`` (``measuring.stopping.status``: target met or why not, processes,
    rounds, seconds spent on its case, whether its backend is still tied with the
    fastest at its N, and [marked, noted] rounds of its case).  A figure short of
    its target says why: "budget" when its case was left out of a later process
    for the budget (``over_budget``), else ``stopped_by``."""
    groups, _ = _groups(records)
    still_open = stopping.open_cases([_keyed(r) for r in records], case=lambda k: case_of(plan, k))
    seconds, rounds = {}, {}
    for r in records:
        for case, spent in r.get("case_seconds", {}).items():
            seconds[tuple(json.loads(case))] = seconds.get(tuple(json.loads(case)), 0.0) + spent
        for case, (noted, marked, _notes) in r.get("case_rounds", {}).items():
            total = rounds.setdefault(tuple(json.loads(case)), [0, 0])
            total[0] += noted
            total[1] += marked
    out = {}
    for k, value in combined.items():
        g = groups.get(json.dumps(list(k)), [])
        per_process = [
            float(np.exp(np.median(np.log(v)))) if len(v) and np.all(np.asarray(v) > 0) else None
            for v in g
        ]
        entry = {"interval": value, "processes": per_process}
        if not isinstance(value, str):
            case = case_of(plan, k)
            noted, marked = rounds.get(case, [0, 0])
            entry["status"] = {
                **stopping.status(g, why_short="budget" if case in over_budget else stopped_by),
                "seconds": round(seconds.get(case, 0.0), 1),
                "tie open": k[0] == "speedup" and k[2] == "resident" and case in still_open,
                # rounds the hypervisor or another process took a share of
                # (measuring.interference); marked rounds were measured again once or twice
                "marked rounds": [marked, noted],
            }
        out[json.dumps(list(k))] = entry
    return out


def _case_means(records):
    """({case as JSON: mean seconds per process so far}, mean seconds a process spent
    outside its cases: starting, importing, opening backends)."""
    per_case, outside = {}, []
    for r in records:
        spent = r.get("case_seconds", {})
        outside.append(max(0.0, r.get("seconds", 0.0) - sum(spent.values())))
        for case, seconds in spent.items():
            per_case.setdefault(case, []).append(seconds)
    means = {case: sum(v) / len(v) for case, v in per_case.items()}
    return means, sum(outside) / max(1, len(outside))


def _seconds_for(records, cases):
    """Seconds a process measuring only ``cases`` is expected to take: the mean seconds
    each case took in the processes so far (0 for one never timed), plus the mean a
    process spent outside its cases, as if it opened all of them."""
    means, outside = _case_means(records)
    return sum(means.get(json.dumps(list(c)), 0.0) for c in cases) + outside


def _next_only(records, plan, started):
    """(cases the next process measures, or None for all; why to stop, or ""; the
    open cases it leaves out for the budget).

    The first ``min_processes()`` processes measure everything; later ones only
    the open cases (``measuring.stopping.open_cases``).  When the phase's budget
    has no room left for all of them (``_seconds_for``), the next process takes
    the cheapest open cases that fit: a figure that costs little keeps sampling
    after a costly one has spent its share.  Nothing fits: stop ("budget").
    """
    if len(records) < min_processes():
        return None, "", set()
    only = stopping.open_cases([_keyed(r) for r in records], case=lambda k: case_of(plan, k))
    if not only:
        return None, "every figure known", set()
    left = plan["budget_s"] - (time.monotonic() - started)
    means, outside = _case_means(records)
    cost = {c: means.get(json.dumps(list(c)), 0.0) for c in only}
    taken, spent = [], outside
    for c in sorted(only, key=lambda c: (cost[c], c)):
        if spent + cost[c] > left:
            break
        taken.append(c)
        spent += cost[c]
    if not taken:
        return None, "budget", only
    return sorted(list(c) for c in taken), "", only - set(taken)


def setup_cache(settings=None, results=None):
    """asv's setup_cache: every paired figure of this run, {key: Interval tuple or reason}.

    The plan comes from ``settings`` (asv passes none: this process's,
    ``measuring.settings.current``); the records go under ``results`` (default:
    asv's results folder, or a temporary one outside asv).  Processes are added until every figure
    meets its precision target (``measuring.stopping``), up to the plan's
    ``processes`` and ``budget_s``; after the first ``min_processes()``, each
    measures only the cases still open.

    Each process's records are saved as it ends (``measuring.process_records``):
    a rerun after an interruption measures only the processes still missing.
    """
    plan = make_plan(settings)
    store = ProcessRecords.for_run(plan, results)
    store.save_plan(plan)
    records = store.saved()
    if records:
        print(
            f"parbench: paired: {len(records)} of {plan['processes']} processes resumed"
            f" from {store.folder}",
            file=sys.stderr,
            flush=True,
        )
    progress = Reporter(
        "paired measurement", plan["processes"], budget_s=plan["budget_s"], least=min_processes()
    )
    for r in records.values():
        progress.process_done(r.get("seconds", 0.0))
    started, stopped_by, over_budget = time.monotonic(), "process cap", set()
    with tempfile.TemporaryDirectory(prefix="parbench-pairs-") as tmp:
        for i in range(plan["processes"]):
            if i in records:
                continue
            only, why, left_out = _next_only([records[j] for j in sorted(records)], plan, started)
            over_budget |= left_out
            if why:
                stopped_by = why
                break
            t0 = time.monotonic()
            this_plan = plan if only is None else {**plan, "only": only}
            r = _run_process(this_plan, os.path.join(tmp, f"{i}.json"), ROOT, progress)
            progress.process_done(time.monotonic() - t0)
            print(
                f"parbench: paired process {i + 1}/{plan['processes']}"
                f" {'done' if r else 'FAILED'} in {time.monotonic() - t0:.0f} s"
                + ("" if only is None else f" ({len(only)} open cases)"),
                file=sys.stderr,
                flush=True,
            )
            if r is not None:
                r["seconds"] = round(time.monotonic() - t0, 1)
                store.save(i, r)
                records[i] = r
    progress.finish()
    ordered = [records[i] for i in sorted(records)]
    _say_skipped(ordered)
    result = combine(ordered)
    store.finish(figures_file(ordered, result, plan, stopped_by, over_budget))
    return result


setup_cache.timeout = PROCESS_TIMEOUT_S * 6


def lookup(cache, k, index):
    """Field ``index`` (0 estimate, 1 low, 2 high) of the figure ``k``; asv's skip
    (NotImplementedError with the reason, also printed) if skipped or absent."""
    value = cache.get(k)
    if value is None:  # a skipped case's reason is kept on its resident speedup
        value = cache.get(key("speedup", k[1], "resident", k[3], k[4]))
        if not isinstance(value, str):
            raise NotImplementedError(f"not measured: {k}")
    if isinstance(value, str):
        # asv shows a benchmark's stderr (--show-stderr), never setup_cache's
        say_skipped(k[3], k[1], k[4], value)
        raise NotImplementedError(value)
    return value[index]
