"""Sizes, workers and the timing loop shared by the asv suite.

Environment switches (read at asv discovery and in every benchmark process):

* ``PARBENCH_SIZES``: ``default`` (matvec N = 2**6 .. 2**13, sum N = 2**10 .. 2**26)
  or ``quick`` (a few small N, for CI and a first look).
* ``PARBENCH_BACKENDS``: comma-separated registry names to run (default: all six).
* ``PARBENCH_WORKERS``: workers per backend (default: all cores of this process).
* ``PARBENCH_DTYPE``: ``float64`` (default) or ``float32``.
"""
import gc
import os
import statistics
import time

SIZES = {
    "default": {"matvec": [2**k for k in range(6, 14)],
                "sum": [2**k for k in range(10, 27, 2)]},
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
        raise ValueError(f"PARBENCH_BACKENDS names unknown backends {unknown};"
                         f" known: {', '.join(all_names)}")
    return [b for b in all_names if b in wanted]


def workers():
    """PARBENCH_WORKERS as an int, or None (all cores)."""
    raw = os.environ.get("PARBENCH_WORKERS")
    return int(raw) if raw else None


def dtype():
    return os.environ.get("PARBENCH_DTYPE", "float64")


def timing_samples(fn, min_batch=2e-3, repeats=9, budget=4.0):
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


def median_time(fn, **kwargs):
    """Median of ``timing_samples(fn, **kwargs)``: seconds per call."""
    return statistics.median(timing_samples(fn, **kwargs))
