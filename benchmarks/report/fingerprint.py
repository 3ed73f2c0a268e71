"""A run's machine state in a few facts, from what every run stores: its fingerprint.

Two runs of one machine can measure different machines in effect: on one Xeon
guest the DRAM read roof was 23.8 GB/s one day and 33-38 GB/s on others, and
every figure bound by memory moved with it.  ``python -m benchmarks.compare``
shows both runs' fingerprints and, where they differ, says "different machine
state" (or "different machine") for the figures that do not overlap instead of
"disagree".  Nothing new is measured: the facts come from benchmarks every run
already has, so the committed runs have fingerprints too.

The facts (``fingerprint``), and when two runs' facts differ (``differences``):

* ``machine``: the run's machine folder; ``hardware``: RunInfo's "machine_name"
  (``measuring.machine``), where recorded.  Differ when not equal: "different
  machine".
* ``workers``, ``affinity``: RunInfo's "workers" (else machine.json's num_cpu) and
  "affinity" (the CPUs of ``os.sched_getaffinity``, where recorded).  Differ when
  not equal: the same kernels ran on other cores.
* ``read roof``, ``triad roof``: ``roof.MemoryRoof.track_read`` / ``track_triad``
  (GB/s), the best of 10 samples, one number with no interval.  Each is taken as
  a point value +-10% (``ROOF_TOLERANCE``), and two differ when those ranges do not
  overlap, a ratio above 1.1/0.9 = 1.22.  The committed runs that agree on every
  other fact spread less than that (11 EPYC runs 32.3-37.9 GB/s read, ratio 1.17;
  four Xeon runs 33.0-38.0, 1.15; two others 23.8 and 24.9, 1.05), while the Xeon's
  two states are 1.33-1.6x apart.  The paired "% of roof" figures are not used
  here: they are compared, as they are, with the other paired figures.
* ``1-thread sum read``, ``1-thread matvec read``: bytes one call moves at the
  run's largest N (``kernels.facts.bytes_moved``, the run's itemsize) over the
  paired serial numpy time there (``paired.*TimeSerial``: one BLAS thread; numpy's
  sum is single-threaded), GB/s with the 95% interval [bytes/high, bytes/low].
  Differ when the intervals do not overlap; not compared when the two runs'
  largest N differ (a smaller N may be read from cache).
* ``load at start``: RunInfo's 1-minute load average when asv discovered the
  suite, per core (machine.json's num_cpu).  A run above ``LOADED_PER_CORE`` (0.5)
  started "loaded", and the comparison names it; it is never a difference by
  itself: it is one sample taken before anything was measured, right after asv
  built the project's wheel (every committed run started at 0.4-1.0 per core), and
  whether the load lasted into the measurement shows in the measured facts above.
"""

import re
from collections import namedtuple

from kernels.facts import bytes_moved
from measuring.intervals import overlap

from . import records
from .tables import plain_table

#: a roof (one number, no interval) as a point value +- this fraction
ROOF_TOLERANCE = 0.10
#: 1-minute load average per core above which a run "started loaded"
LOADED_PER_CORE = 0.5
#: facts whose difference means another machine, not another state of one
MACHINE_FACTS = ("machine", "hardware")
VERDICT_SAME_STATE = "disagree"
VERDICT_STATE = "different machine state"
VERDICT_MACHINE = "different machine"

#: one fact: value (str, or a float with bounds low/high), how it is compared
#: ("equal", "interval", "note"), unit, N (the size a bandwidth was read at) and text
#: shown after the value ("+-10%", "1.25 on 2 cores")
Fact = namedtuple(
    "Fact", "value low high how unit n note", defaults=(None, None, "equal", "", None, "")
)
FACT_HEADER = ("fact", "A", "B", "A vs B")
_LOAD = re.compile(r":\s*(\d+(?:\.\d*)?)")


def cpu_list(cpus):
    """A compact CPU list: {0, 1, 2, 5} -> '0-2,5' (as /sys and taskset write them)."""
    runs, out = [], []
    for c in sorted(int(c) for c in cpus):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    for lo, hi in runs:
        out.append(str(lo) if lo == hi else f"{lo}-{hi}")
    return ",".join(out)


def _cores(run):
    try:
        n = int(run.machine_fact("num_cpu"))
    except (TypeError, ValueError):
        n = 0
    return n if n > 0 else run.workers


def _load(run):
    """The Fact of the 1-minute load per core at the start, or None if not recorded."""
    m = _LOAD.search(run.info.get("load") or "")
    cores = _cores(run)
    if m is None or not cores:
        return None
    load = float(m.group(1))
    per_core = load / cores
    state = "loaded" if per_core > LOADED_PER_CORE else "quiet"
    note = f"{state}: {load:.2f} on {cores} cores"
    return Fact(per_core, how="note", unit="per core", note=note)


def _roof(run, name):
    v = run.roofs.get(name)
    if v is None:
        return None
    low, high = v * (1 - ROOF_TOLERANCE), v * (1 + ROOF_TOLERANCE)
    return Fact(v, low, high, "interval", "GB/s", note=f"+-{100 * ROOF_TOLERANCE:.0f}%")


def _one_thread(run, figures, kernel):
    """GB/s of the paired serial numpy time at the run's largest N, or None."""
    at = {k[4]: iv for k, iv in figures.items() if k[:4] == ("time", kernel, "serial", "numpy")}
    at = {n: iv for n, iv in at.items() if isinstance(n, int) and iv.low > 0}
    if not at:
        return None
    n = max(at)
    iv, gb = at[n], bytes_moved(kernel, n, run.itemsize) / 1e9
    return Fact(gb / iv.estimate, gb / iv.high, gb / iv.low, "interval", "GB/s", n, f"N={n}")


def fingerprint(run, figures=None):
    """{fact name: Fact} of ``run`` (a results.Run); facts the run lacks are left out.

    ``figures``: the run's ``records.read`` dict, if the caller has it.
    """
    if figures is None:
        figures = records.read(run)
    info = run.info
    fp = {"machine": Fact(run.machine)}
    for name, key in (("hardware", "machine_name"), ("affinity", "affinity")):
        if info.get(key) and not info[key].startswith("unknown"):
            fp[name] = Fact(info[key])
    if run.workers:
        fp["workers"] = Fact(str(run.workers))
    facts = {
        "load at start": _load(run),
        "read roof": _roof(run, "read"),
        "triad roof": _roof(run, "triad"),
        "1-thread sum read": _one_thread(run, figures, "sum"),
        "1-thread matvec read": _one_thread(run, figures, "matvec"),
    }
    fp.update((k, v) for k, v in facts.items() if v is not None)
    return fp


def _differ(a, b):
    if a.how != b.how or a.how == "note":
        return False
    if a.how == "equal":
        return a.value != b.value
    return a.n == b.n and not overlap(a, b)


def differences(fp_a, fp_b):
    """[(fact name, A's Fact, B's Fact)] of the facts in both that differ (module docstring)."""
    return [(k, fp_a[k], fp_b[k]) for k in fp_a if k in fp_b and _differ(fp_a[k], fp_b[k])]


def not_compared(fp_a, fp_b):
    """[(fact name, A's Fact, B's Fact)] of the bandwidths read at different N."""
    return [
        (k, a, fp_b[k])
        for k, a in fp_a.items()
        if k in fp_b and a.how == "interval" and a.n != fp_b[k].n
    ]


def verdict(diffs):
    """What a pair of intervals that do not overlap means, given ``differences``."""
    if any(k in MACHINE_FACTS for k, *_ in diffs):
        return VERDICT_MACHINE
    return VERDICT_STATE if diffs else VERDICT_SAME_STATE


def loaded(fp):
    """True if the run started loaded (more than LOADED_PER_CORE per core)."""
    load = fp.get("load at start")
    return load is not None and load.value > LOADED_PER_CORE


def fact_text(fact):
    """'33.0 GB/s [29.7, 36.3] +-10%', '0.62 per core (loaded: 1.25 on 2 cores)', '2', '-'."""
    if fact is None:
        return "-"
    if fact.how == "equal":
        return str(fact.value)
    if fact.how == "note":
        return f"{fact.value:.2f} {fact.unit} ({fact.note})"
    return f"{fact.value:#.3g} {fact.unit} [{fact.low:#.3g}, {fact.high:#.3g}] {fact.note}".rstrip()


def _status(k, fp_a, fp_b, apart):
    a, b = fp_a.get(k), fp_b.get(k)
    if a is None or b is None:
        return "not in both"
    if a.how == "note":
        return "named only"
    if a.how == "interval" and a.n != b.n:
        return "not compared (N differ)"
    return "differs" if k in apart else "same"


def table(fp_a, fp_b):
    """The two fingerprints side by side, one fact a row, with whether they differ."""
    apart = {k for k, *_ in differences(fp_a, fp_b)}
    names = list(fp_a) + [k for k in fp_b if k not in fp_a]
    cells = [
        (k, fact_text(fp_a.get(k)), fact_text(fp_b.get(k)), _status(k, fp_a, fp_b, apart))
        for k in names
    ]
    return plain_table(cells, FACT_HEADER)


def one_line(fp):
    """The fingerprint in one line, for a report header."""
    return "; ".join(f"{k} {fact_text(f)}" for k, f in fp.items())
