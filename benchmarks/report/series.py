"""The numbers of a report, computed once per run and kernel from a ``results.Run``.

A series is one line of a figure and one row of the summary table: the timings
of one (label, mode) pair against N.  ``collect`` reads a kernel's series and
derives, once, everything that is drawn or tabulated from them: times, speedups
over serial numpy and bandwidths.  ``analyse`` does that for every kernel and adds
the summary rows and the seed comparisons.

* label: the backend's registry name, with any other parameter values in
  parentheses ("numba (float32)"); "numpy" for the serial baseline.
* mode: "resident", "end-to-end" or "serial" (numpy with one worker, the baseline).

A run with paired speedups (``records``) is reported from its paired figures
only: speedups, bandwidths (bytes moved / paired time), the summary rows'
numbers and the seed ratios are ``records.Interval`` objects, and nothing computed
from two sides timed at different moments is shown beside them (no unpaired
speedup, % roof or seed comparison).  A run without them is reported as before.
"""

import math
from dataclasses import dataclass, field

from kernels.facts import BACKENDS, KERNELS, bytes_moved

from . import precision, recommend, records
from .results import (
    KERNEL_CLASSES,
    SEED_CLASSES,
    SEED_RATIO_CLASS,
    SEED_RATIO_METHOD,
    TIME_METHOD,
    is_number,
    itemsize_of,
)

SERIAL_LABEL = "numpy"
BASELINE = (SERIAL_LABEL, "serial")
_MODE_RANK = {"serial": 0, "resident": 1, "end-to-end": 2}


@dataclass
class KernelSeries:
    """Every series of one kernel in one run, and what is derived from them.

    keys: the (label, mode) pairs in table and legend order (see ``ordered``);
    ns: every N measured, ascending.  Per key, each a dict {N: number}:
    raw (as stored: seconds, math.nan when skipped, None when failed), times
    (seconds, only the positive finite ones), speedups (serial numpy seconds /
    seconds, where both exist) and bandwidths (GB/s); itemsizes {key: bytes per
    element}.  A paired run (``paired`` True) also has, per key, intervals
    {quantity: {N: records.Interval}} of "speedup", "time" and "bandwidth"; its
    speedups and bandwidths are then those intervals' estimates.
    """

    kernel: str
    ns: list
    keys: list
    raw: dict
    itemsizes: dict
    times: dict = field(default_factory=dict)
    speedups: dict = field(default_factory=dict)
    bandwidths: dict = field(default_factory=dict)
    paired: bool = False
    intervals: dict = field(default_factory=dict)

    def interval(self, quantity, key):
        """{N: Interval} of ``quantity`` ("speedup", "time", "bandwidth") of ``key``, or {}."""
        return self.intervals.get(quantity, {}).get(key, {})


@dataclass
class Report:
    """What one run's report shows: the series of every kernel, rows, seeds.

    kernels: {kernel: KernelSeries} for every kernel of ``kernels.facts.KERNELS``,
    in that order (a kernel without timings has empty ns); rows and missing: as
    ``summarize`` returns them, all kernels together; seeds: ``seed_comparison``
    rows; seed_ratios: ``seed_ratios``.  paired: the run has paired speedups;
    figures: ``records.read``'s dict; costs: ``end_to_end_costs`` rows of the
    end-to-end cost; fastest: {kernel: ``records.fastest`` rows} (resident).
    """

    run: object
    kernels: dict
    rows: list
    missing: list
    seeds: list
    seed_ratios: dict
    paired: bool = False
    figures: dict = field(default_factory=dict)
    costs: list = field(default_factory=list)
    fastest: dict = field(default_factory=dict)
    #: {kernel: [N]} of the grid this machine did not run (``precision.not_run``)
    not_run: dict = field(default_factory=dict)

    def plotted(self):
        """The KernelSeries that have at least one N, in kernel order."""
        return [ks for ks in self.kernels.values() if ks.ns]


def _label(mode, params):
    """The series label of one benchmark entry (see the module docstring)."""
    if mode == "serial":
        return SERIAL_LABEL
    rest = [str(v) for k, v in params.items() if k != "N"]
    label = str(params["backend"]) if "backend" in params else ", ".join(rest)
    extra = [str(v) for k, v in params.items() if k not in ("N", "backend")]
    if "backend" in params and extra:
        label = f"{label} ({', '.join(extra)})"
    return label


def _order_key(key):
    label, mode = key
    base = label.split(" (")[0]
    rank = BACKENDS.index(base) if base in BACKENDS else len(BACKENDS)
    return (rank, label, _MODE_RANK.get(mode, 3))


def ordered(keys):
    """(label, mode) keys in a stable order: serial first, then backends in registry order."""
    keys = sorted(keys, key=_order_key)
    return [k for k in keys if k[1] == "serial"] + [k for k in keys if k[1] != "serial"]


def positive(values):
    """{N: float(seconds)} of ``values`` ({N: raw value}) that are positive finite numbers."""
    return {n: float(v) for n, v in values.items() if is_number(v) and v > 0}


def speedup_series(times, base, ns):
    """{N: base seconds / seconds} at every N of ``ns`` where both dicts have a time."""
    return {n: base[n] / times[n] for n in ns if n in times and n in base}


def crossover(speedups):
    """Smallest N from which speedup > 1 at every larger measured N.

    'never' if it loses (or ties) at the largest N both were measured at, None without data.
    Of an unpaired run only: a paired run's rows give the N ranges where the
    speedup's interval lies above 1 (``recommend.faster_ranges``).
    """
    if not speedups:
        return None
    result = "never"
    for n in sorted(speedups, reverse=True):
        if speedups[n] > 1.0:
            result = n
        else:
            break
    return result


def bandwidth_gbs(kernel, n, seconds, itemsize):
    """GB/s (1e9 bytes/s) of one call of ``kernel`` at size N: ``kernels.facts.bytes_moved``
    bytes in ``seconds``.  ValueError for an unknown kernel."""
    return bytes_moved(kernel, n, itemsize) / seconds / 1e9


def collect(run, kernel, figures=None):
    """The KernelSeries of ``kernel`` ("matvec" or "sum") in ``run``, every number derived.

    Entries without an integer N are left out; a run without the kernel's
    benchmarks gives empty keys and ns.  ``figures``: ``records.read``'s dict of a
    run with paired speedups, whose figures then replace the speedups and bandwidths.
    """
    raw, itemsizes, ns = {}, {}, set()
    for mode, cls in KERNEL_CLASSES[kernel].items():
        for params, value in run.entries(cls, TIME_METHOD):
            n = params.get("N")
            if not isinstance(n, int) or isinstance(n, bool):
                continue
            key = (_label(mode, params), mode)
            raw.setdefault(key, {})[n] = value
            itemsizes[key] = itemsize_of(params, run.itemsize)
            ns.add(n)
    ks = KernelSeries(kernel, sorted(ns), ordered(raw), raw, itemsizes)
    ks.times = {key: positive(raw[key]) for key in ks.keys}
    base = ks.times.get(BASELINE, {})
    for key in ks.keys:
        times = ks.times[key]
        ks.speedups[key] = speedup_series(times, base, ks.ns)
        ks.bandwidths[key] = {
            n: bandwidth_gbs(kernel, n, t, itemsizes[key]) for n, t in times.items()
        }
    if figures is not None:
        _add_paired(ks, figures, run.itemsize)
    return ks


def _estimates(intervals):
    return {n: iv.estimate for n, iv in intervals.items()}


def _add_paired(ks, figures, itemsize):
    """Make ``ks`` a paired series: its speedups and bandwidths from the paired figures."""
    speedups = records.by_series(figures, "speedup", ks.kernel)
    times = records.by_series(figures, "time", ks.kernel)
    ks.paired = True
    ks.keys = ordered(set(ks.keys) | set(speedups) | set(times))
    ks.ns = sorted(set(ks.ns).union(*[set(v) for v in [*speedups.values(), *times.values()]]))
    for key in ks.keys:
        ks.raw.setdefault(key, {})
        ks.times.setdefault(key, {})
        ks.itemsizes.setdefault(key, itemsize)
    bandwidths = {
        key: {
            n: records.inverse(iv, bytes_moved(ks.kernel, n, ks.itemsizes[key]) / 1e9)
            for n, iv in values.items()
        }
        for key, values in times.items()
    }
    ks.intervals = {"speedup": speedups, "time": times, "bandwidth": bandwidths}
    ks.speedups = {key: _estimates(speedups.get(key, {})) for key in ks.keys}
    ks.bandwidths = {key: _estimates(bandwidths.get(key, {})) for key in ks.keys}


def _missing(ks, key):
    """(label, kernel, N, mode, 'skipped' | 'failed') for every N of ``key`` without a time."""
    label, mode = key
    out = []
    for n in sorted(ks.raw[key]):
        if n not in ks.times[key]:
            v = ks.raw[key][n]
            why = "skipped" if isinstance(v, float) and math.isnan(v) else "failed"
            out.append((label, ks.kernel, n, mode, why))
    return out


def _row(run, ks, key, roof):
    """The summary row of one series (see ``summarize``)."""
    label, mode = key
    row = {"kernel": ks.kernel, "backend": label, "mode": mode}
    row.update(
        dict.fromkeys(
            ("n_max", "gbs", "roof_pct", "alt_pct", "n_min", "floor_us", "speedup", "crossover")
        )
    )
    measured = sorted(ks.times[key])
    if not measured:
        return row
    n_max, n_min = measured[-1], measured[0]
    sp = ks.speedups[key]
    row.update(
        n_max=n_max, n_min=n_min, gbs=ks.bandwidths[key][n_max], floor_us=ks.times[key][n_min] * 1e6
    )
    if roof:
        row["roof_pct"] = 100.0 * row["gbs"] / roof
    if mode == "resident":
        row["alt_pct"] = run.roof_fractions.get((ks.kernel, label))
    if n_max in sp:
        row["speedup"] = sp[n_max]
    if mode != "serial":
        row["crossover"] = crossover(sp)
    return row


def _paired_row(figures, ks, key):
    """The summary row of one series of a paired KernelSeries (see ``summarize``)."""
    label, mode = key
    row = {"kernel": ks.kernel, "backend": label, "mode": mode}
    row.update(
        dict.fromkeys(("n_max", "gbs", "roof_pct", "n_min", "floor_us", "speedup", "crossover"))
    )
    times, sp = ks.interval("time", key), ks.interval("speedup", key)
    measured = sorted(set(times) | set(sp))
    if not measured:
        return row
    n_max, n_min = measured[-1], measured[0]
    row.update(n_max=n_max, n_min=n_min, speedup=sp.get(n_max))
    row["gbs"] = ks.interval("bandwidth", key).get(n_max)
    if n_min in times:
        row["floor_us"] = records.scaled(times[n_min], 1e6)
    if mode == "resident":
        row["roof_pct"] = figures.get(("roof percent", ks.kernel, mode, label, None))
    if mode != "serial":
        ranges = recommend.faster_ranges(sp)
        row["crossover"] = ", ".join(recommend.fmt_range(*r) for r in ranges) or "no N"
    return row


def summarize(run, ks, figures=None):
    """Summary rows of one KernelSeries, in ``ks.keys`` order, plus its missing entries.

    A row is a dict: kernel, backend (the label), mode, n_max and n_min (largest and
    smallest N with a time), gbs (GB/s at n_max), roof_pct (% of the run's first
    roof, read if measured else triad), alt_pct (RoofFraction %, resident only),
    floor_us (microseconds at n_min), speedup (over serial numpy at n_max) and
    crossover (see ``crossover``; None for the serial baseline); None where not
    measured.  missing: [(label, kernel, N, mode, 'skipped' | 'failed')].

    Of a paired KernelSeries (``figures``: ``records.read``'s dict) the numbers are
    Intervals: gbs, floor_us, speedup and roof_pct (RoofFraction's, resident only;
    no alt_pct), and the crossover is the N ranges where the speedup's interval lies
    wholly above 1 ("2^8-2^12, 2^16"; "no N" if none: ``recommend.faster_ranges``).
    """
    roof = next(iter(run.roofs.values()), None)
    rows, missing = [], []
    for key in ks.keys:
        missing += _missing(ks, key)
        rows.append(_paired_row(figures, ks, key) if ks.paired else _row(run, ks, key, roof))
    return rows, missing


def _seed_backend(variant):
    """The registry name a seed variant "seed-<backend>[-detail]" stands for, or None."""
    return max((b for b in BACKENDS if variant.startswith(f"seed-{b}")), key=len, default=None)


def seed_comparison(run, kernels):
    """Each seed version against its parbench backend (resident) at every N both measured.

    ``kernels``: {kernel: KernelSeries}.  Rows (kernel, variant, backend, N, seed
    seconds, backend seconds, seed seconds / backend seconds).
    """
    rows = []
    for kernel, cls in SEED_CLASSES.items():
        for params, value in run.entries(cls, TIME_METHOD):
            variant, n = str(params.get("variant")), params.get("N")
            backend = _seed_backend(variant)
            mine = kernels[kernel].times.get((backend, "resident"), {}).get(n)
            if backend and mine and is_number(value) and value > 0:
                rows.append((kernel, variant, backend, n, value, mine, value / mine))
    return rows


def seed_ratios(run):
    """{(kernel, variant): seed seconds / backend seconds, timed in alternation} (SeedRatio).

    Skipped or failed entries are left out.
    """
    out = {}
    for params, value in run.entries(SEED_RATIO_CLASS, SEED_RATIO_METHOD):
        case = str(next(iter(params.values()), ""))
        if ":" in case and is_number(value):
            kernel, variant = case.split(":", 1)
            out[(kernel, variant)] = float(value)
    return out


def end_to_end_costs(figures):
    """[(kernel, backend, N, cost Interval, copy bound Interval or None)], in report order.

    The copy bound (end-to-end / (host copy + resident)) is measured at the
    largest N only: it is on that N's row, None on the others.
    """
    found = records.select(figures, "end-to-end cost")
    bounds = records.select(figures, "copy bound")
    largest = {}
    for kernel, _, backend, n in found:
        largest[(kernel, backend)] = max(n, largest.get((kernel, backend), n))
    return [
        (
            kernel,
            backend,
            n,
            found[(kernel, mode, backend, n)],
            bounds.get((kernel, mode, backend, None)) if n == largest[(kernel, backend)] else None,
        )
        for kernel, mode, backend, n in sorted(
            found, key=lambda k: (KERNELS.index(k[0]), _order_key((k[2], k[1])), k[3])
        )
    ]


def _paired_parts(report):
    """Fill in the paired parts of a Report (seed ratios, costs, fastest); no seed comparison."""
    figures = report.figures
    report.seeds = []
    ratios = records.select(figures, "seed ratio")
    report.seed_ratios = {(k[0], k[2]): iv for k, iv in ratios.items()}
    report.costs = end_to_end_costs(figures)
    for kernel, ks in report.kernels.items():
        resident = {b: v for (b, m), v in ks.intervals["speedup"].items() if m == "resident"}
        if resident:
            report.fastest[kernel] = records.fastest(resident)


def analyse(run):
    """The Report of ``run``: every kernel's series collected once, rows and seeds from them.

    A run with paired speedups is reported from its paired figures (module docstring).
    """
    figures = records.read(run)
    paired = bool(records.select(figures, "speedup"))
    kernels = {kernel: collect(run, kernel, figures if paired else None) for kernel in KERNELS}
    rows, missing = [], []
    not_run = precision.not_run(run)
    for ks in kernels.values():
        r, m = summarize(run, ks, figures)
        rows += r
        # an N the machine did not run is one line of its own, not a skip per backend
        missing += [e for e in m if e[2] not in not_run.get(e[1], ())]
    report = Report(run, kernels, rows, missing, seed_comparison(run, kernels), seed_ratios(run))
    report.not_run = not_run
    if paired:
        report.paired, report.figures = True, figures
        _paired_parts(report)
    return report
