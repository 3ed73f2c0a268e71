"""The timing loops: wall-clock seconds per call, and several calls timed in alternation.

* ``timing_samples`` / ``median_time``: the batched wall-clock loop (as timeit).
* ``cold_time``: single calls, each after an untimed reset (a cold placement).
* ``alternate``: several calls timed in turn, round after round, in one process,
  so every side of a ratio sees the same moments of a machine whose speed drifts.
"""

import gc
import statistics
import time


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
    calls,
    rounds,
    after=None,
    repeats=3,
    budget=1.0,
    min_batch=2e-3,
    before=None,
    max_seconds=None,
    watch=None,
):
    """Time each of ``calls`` in turn, ``rounds`` times, in this process.

    Returns one list per round holding, for each call, its ``timing_samples``
    (seconds per call).  After call i's samples, ``after[i]`` (optional) runs,
    untimed: a backend's ``rest``, so that workers of one side that spin after a
    call (MPI ranks) are idle when the next side is timed.  Both sides of a
    ratio then see the same moments of a machine whose speed drifts.
    ``before[i]`` (optional) runs, untimed, before call i's samples, and so
    does one untimed call of call i: it wakes workers that went to sleep during
    the other side's turn (MPI ranks sleep after a rest).
    ``max_seconds``: stop early, after at least 3 rounds, when another round
    would end past it (a slow case gets fewer rounds; its processes still count).
    ``watch``: a ``measuring.interference.Watch`` that brackets every round; a
    round it marks (the hypervisor or another process took a share of the CPUs)
    is measured again, up to ``watch.retries`` times per call of this function,
    and its note is kept in ``watch.notes``.
    """
    after = after or [None] * len(calls)
    before = before or [None] * len(calls)
    result, start, retried = [], time.perf_counter(), 0
    while len(result) < rounds:
        done = len(result)
        spent = time.perf_counter() - start
        if max_seconds is not None and done >= 3 and spent * (done + 1) / done > max_seconds:
            break
        if watch is not None:
            watch.start()
        row = []
        for call, rest, hook in zip(calls, after, before):
            if hook is not None:
                hook()
            call()
            row.append(timing_samples(call, min_batch=min_batch, repeats=repeats, budget=budget))
            if rest is not None:
                rest()
        if watch is not None and watch.stop() and retried < watch.retries:
            retried += 1  # measured again: a marked round is not kept while retries remain
            continue
        result.append(row)
    return result
