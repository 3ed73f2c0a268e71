"""The report's text: table cells, plain and markdown tables, headings, notes, caption.

Every function here formats numbers that ``series`` computed; none reads a file.
``summary`` gives the two texts of a run: ``summary.md`` and what is printed.
"""

import textwrap
from collections import namedtuple

from . import precision
from .records import Interval, processes_rounds
from .results import format_date

MISSING = "-"
TABLE_HEADER = (
    "kernel",
    "backend",
    "mode",
    "GB/s @ N max",
    "% roof",
    "% roof alt.",
    "N max",
    "floor us @ N min",
    "N min",
    "speedup @ N max",
    "crossover N",
)
#: the summary of a run with paired figures: no unpaired "% roof", RoofFraction's is "% roof";
#: instead of a crossover N, every N range where the speedup's interval lies above 1
PAIRED_HEADER = TABLE_HEADER[:5] + TABLE_HEADER[6:-1] + ("faster than serial numpy at N",)
COST_HEADER = ("kernel", "backend", "N", "end-to-end / resident", "end-to-end / (copy + resident)")
COST_TITLE = (
    "End-to-end cost: end-to-end time / resident time of the same backend, and at the "
    "largest N / (one host copy of the operand into a touched array + resident), "
    "timed in alternation (95% interval)"
)
FASTEST_HEADER = ("kernel", "N", "fastest backend (resident)", "its speedup")
FASTEST_TITLE = (
    "Fastest backend at each N (resident; the highest speedup estimate, tied: the "
    "backends whose 95% interval overlaps the winner's; *: tied only through an "
    "interval wider than a factor of 2)"
)
SEED_HEADER = (
    "kernel",
    "seed version",
    "vs backend",
    "N",
    "seed time",
    "backend time",
    "backend speedup over seed",
)
SEED_RATIO_HEADER = ("kernel", "seed version", "backend speedup over seed (alternated)")
SEEDS_TITLE = "parbench vs the seeds' plain versions (resident, same N and workers)"
RATIOS_MD_TITLE = (
    "Timed in alternation in one process at the largest seed N (SeedRatio; > 1: parbench faster):"
)
RATIOS_TEXT_TITLE = "timed in alternation in one process at the largest seed N (SeedRatio)"


def _bound(v, spec):
    """``v`` with ``spec``, or with 2 significant digits ("2.8e+15", "3.1e-09") when it is
    at least 1e5 or ``spec`` would round it to zero (the bounds of a very wide interval)."""
    text = format(v, spec)
    if abs(v) >= 1e5 or (v != 0 and float(text) == 0):
        return format(v, ".2g")
    return text


def fmt(v, spec, suffix=""):
    """``v`` formatted with ``spec`` plus ``suffix``; a str as is; MISSING ("-") for None.

    An Interval reads "<estimate><suffix> [<low>, <high>]": "1.63x [1.51, 1.72]"
    (a number that ``spec`` would show as 0, or one of 1e5 or more, with 2 significant
    digits: "0.02x [2.2e-19, 2.8e+15]").
    """
    if v is None:
        return MISSING
    if isinstance(v, str):
        return v
    if isinstance(v, Interval):
        low, high = _bound(v.low, spec), _bound(v.high, spec)
        return f"{_bound(v.estimate, spec)}{suffix} [{low}, {high}]"
    return format(v, spec) + suffix


def summary_header(paired):
    """The summary table's header: PAIRED_HEADER of a paired run, else TABLE_HEADER."""
    return PAIRED_HEADER if paired else TABLE_HEADER


def table_cells(rows, paired=False):
    """One tuple of ``summary_header(paired)``'s strings per ``series.summarize`` row.

    GB/s with 2 decimals, percentages with 1, microseconds with 1, speedup as
    "2.00x"; the serial baseline's crossover reads "baseline".  Of a paired run
    each number is an Interval ("1.63x [1.51, 1.72]") and "% roof" is RoofFraction's.
    """
    cells = []
    for r in rows:
        cross = "baseline" if r["mode"] == "serial" else r["crossover"]
        roofs = [fmt(r["roof_pct"], ".1f", "%")]
        if not paired:
            roofs.append(fmt(r["alt_pct"], ".1f", "%"))
        cells.append(
            (
                r["kernel"],
                r["backend"],
                r["mode"],
                fmt(r["gbs"], ".2f"),
                *roofs,
                fmt(r["n_max"], "d"),
                fmt(r["floor_us"], ".1f"),
                fmt(r["n_min"], "d"),
                fmt(r["speedup"], ".2f", "x"),
                fmt(cross, "d"),
            )
        )
    return cells


def cost_cells(costs):
    """COST_HEADER cells of ``series.end_to_end_costs`` rows: "3.20x [3.01, 3.41]", "-"."""
    return [
        (k, b, str(n), fmt(iv, ".2f", "x"), fmt(bound, ".2f", "x")) for k, b, n, iv, bound in costs
    ]


def fastest_cells(fastest):
    """FASTEST_HEADER cells of a Report's fastest {kernel: rows}: "mpi (tied: numba, opencl)"."""
    cells = []
    for kernel, rows in fastest.items():
        for n, winner, tied, iv, wide in rows:
            names = ", ".join(f"{b}*" if b in wide else b for b in tied)
            name = f"{winner} (tied: {names})" if tied else winner
            cells.append((kernel, str(n), name, fmt(iv, ".2f", "x")))
    return cells


def seed_cells(rows):
    """SEED_HEADER cells of ``series.seed_comparison`` rows (seconds shown as ms)."""
    return [
        (k, v, b, str(n), f"{ts * 1e3:.3f} ms", f"{tb * 1e3:.3f} ms", f"{r:.2f}x")
        for k, v, b, n, ts, tb, r in rows
    ]


def ratio_cells(ratios):
    """SEED_RATIO_HEADER cells of ``series.seed_ratios`` (numbers or Intervals), sorted by
    (kernel, variant)."""
    return [(k, v, fmt(r, ".2f", "x")) for (k, v), r in sorted(ratios.items())]


def missing_lines(missing, not_run=None):
    """One line per (label, kernel, N, mode, why) of ``series.summarize``'s missing list,
    after the sentence on the N the machine did not run (``precision.not_run``)."""
    lines = [precision.not_run_line(not_run)] if not_run else []
    return lines + [
        f"skipped or failed: {label} {kernel} {n} ({mode}, {why})"
        for label, kernel, n, mode, why in missing
    ]


def plain_table(cells, header=TABLE_HEADER):
    """Columns padded to their widest cell, two spaces apart, a dashed rule under the header."""
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(x.ljust(w) for x, w in zip(c, widths)))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(cells, header=TABLE_HEADER):
    """A GitHub markdown table; the first three columns left-aligned, the rest right."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|")
    for c in cells:
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in c) + " |")
    return "\n".join(lines)


def run_heading(run):
    """'<machine> @ <commit8> (<date>), env <env name>'."""
    return f"{run.machine} @ {run.commit[:8]} ({format_date(run.date)}), env {run.env_name or '?'}"


def bytes_formula(kernel, itemsize):
    """The bytes one call moves, as text: '8*(N*N + 2N)' for matvec, '8*N' for sum."""
    return f"{itemsize}*(N*N + 2N)" if kernel == "matvec" else f"{itemsize}*N"


INTERVAL_NOTE = (
    "95% interval: the range that, over repeated runs of this measurement on this machine, "
    "contains the true ratio 95% of the time, from {how}: see measuring/intervals.py"
)


def _roof_notes(run, paired):
    roofs = run.roofs
    lines = ["memory roof: not measured in this run"]
    if roofs:
        used = (
            "MemoryRoof, drawn in the bandwidth figures"
            if paired
            else f"% roof uses {next(iter(roofs))}"
        )
        lines = [
            "memory roof: "
            + ", ".join(f"{k} {v:.2f} GB/s" for k, v in roofs.items())
            + f" ({used}; it is DRAM bandwidth, so sizes that fit in cache can exceed it)"
        ]
    if paired:
        lines.append(
            "% roof = resident GB/s / the best read kernel's GB/s, timed in the same rounds "
            "at the largest N (RoofFraction), with its 95% interval"
        )
    elif run.roof_fractions:
        lines.append(
            "% roof alt. = resident GB/s / read-roof GB/s, the two timed in alternation in one "
            "process at the largest default N (RoofFraction; robust to the bandwidth drifting "
            "during the run)"
        )
    return lines


def _definitions(run, paired):
    size = run.itemsize
    moved = f"matvec {bytes_formula('matvec', size)}, sum {bytes_formula('sum', size)}"
    if not paired:
        return [
            f"bandwidth = bytes moved / time per call: {moved} ({size}-byte elements)",
            "speedup = serial numpy (workers=1) time / backend time at the same N; crossover "
            "N = smallest N from which the backend beats serial numpy at every larger N; "
            "floor = time per call at the smallest N measured",
        ]
    how = processes_rounds(run.info.get("paired")) or "the run's processes x rounds"
    return [
        f"bandwidth = bytes moved / paired time per call: {moved} ({size}-byte elements)",
        "speedup = serial numpy (workers=1) time / backend time at the same N, the two timed "
        "in alternation in the same rounds of one process, repeated over processes "
        "(measuring/pairs.py); faster than serial numpy at N = the N ranges where the "
        'speedup\'s 95% interval lies wholly above 1 ("no N" if none); floor = time per call '
        "at the smallest N measured",
        INTERVAL_NOTE.format(how=how),
    ]


def notes(run, paired=False):
    """The lines under the table: the roof, RoofFraction, unavailable backends, definitions.

    ``paired``: the run is reported from its paired figures (``series.Report.paired``):
    the definitions say so and what an interval means, with RunInfo's ``paired`` setting.
    """
    lines = _roof_notes(run, paired)
    unavailable = {
        k: v for k, v in run.info.items() if isinstance(v, str) and v.startswith("unavailable")
    }
    for backend, why in sorted(unavailable.items()):
        lines.append(f"{backend}: {why}")
    return lines + _definitions(run, paired)


def _machine_facts(run):
    facts = [f"machine {run.machine}"]
    ncpu = run.machine_fact("num_cpu")
    if ncpu not in (None, ""):
        facts.append(f"num_cpu {ncpu}")
    cpu = run.machine_fact("cpu")
    if cpu:
        facts.append(f"cpu {cpu}")
    if run.machine_fact("os"):
        facts.append(f"os {run.machine_fact('os')}")
    ram = run.machine_fact("ram")
    if ram:
        try:  # asv records bytes (MemTotal * 1024)
            facts.append(f"ram {int(ram) / 2**30:.1f} GiB")
        except (TypeError, ValueError):
            facts.append(f"ram {ram}")
    return ", ".join(facts)


def caption(run):
    """The figure caption: machine facts, then RunInfo's key=value pairs (values cut at 48
    characters), wrapped at 150 characters."""
    parts = [_machine_facts(run)]
    if run.info:
        items = []
        for k, v in run.info.items():
            v = " ".join(str(v).split())
            if len(v) > 48:
                v = v[:45] + "..."
            items.append(f"{k}={v}")
        parts.append("run: " + "; ".join(items))
    return textwrap.fill(" | ".join(parts), width=150)


_Parts = namedtuple("_Parts", "heading header cells notes costs fastest seeds ratios missing")


def _markdown(p):
    md = [f"# parbench summary: {p.heading}", "", markdown_table(p.cells, p.header), ""]
    md += [f"- {n}" for n in p.notes]
    if p.costs:
        md += ["", f"## {COST_TITLE}", "", markdown_table(p.costs, COST_HEADER)]
    if p.fastest:
        md += ["", f"## {FASTEST_TITLE}", "", markdown_table(p.fastest, FASTEST_HEADER)]
    if p.seeds:
        md += ["", f"## {SEEDS_TITLE}", "", markdown_table(p.seeds, SEED_HEADER)]
    if p.ratios:
        md += ["", RATIOS_MD_TITLE, "", markdown_table(p.ratios, SEED_RATIO_HEADER)]
    if p.missing:
        md += ["", "Skipped or failed:", ""] + [f"- `{line}`" for line in p.missing]
    return "\n".join(md) + "\n"


def _text(p):
    text = [f"\n{p.heading}", plain_table(p.cells, p.header), ""]
    text += p.notes
    if p.costs:
        text += ["", COST_TITLE, plain_table(p.costs, COST_HEADER)]
    if p.fastest:
        text += ["", FASTEST_TITLE, plain_table(p.fastest, FASTEST_HEADER)]
    if p.seeds:
        text += ["", SEEDS_TITLE, plain_table(p.seeds, SEED_HEADER)]
    if p.ratios:
        text += ["", RATIOS_TEXT_TITLE, plain_table(p.ratios, SEED_RATIO_HEADER)]
    text += p.missing
    return "\n".join(text)


def summary(report):
    """(summary.md's text, the text printed after it) of a ``series.Report``.

    Both hold the heading, the table of every row, the notes, the end-to-end costs
    and fastest backends (paired runs), the seed comparisons where the run has them
    and the skipped or failed entries.
    """
    run = report.run
    parts = _Parts(
        run_heading(run),
        summary_header(report.paired),
        table_cells(report.rows, report.paired),
        notes(run, report.paired),
        cost_cells(report.costs),
        fastest_cells(report.fastest),
        seed_cells(report.seeds),
        ratio_cells(report.seed_ratios),
        missing_lines(report.missing, report.not_run),
    )
    return _markdown(parts), _text(parts)
