"""The report's text: table cells, plain and markdown tables, headings, notes, caption.

Every function here formats numbers that ``series`` computed; none reads a file.
``summary`` gives the two texts of a run: ``summary.md`` and what is printed.
"""

import textwrap
from collections import namedtuple

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


def fmt(v, spec, suffix=""):
    """``v`` formatted with ``spec`` plus ``suffix``; a str as is; MISSING ("-") for None."""
    if v is None:
        return MISSING
    if isinstance(v, str):
        return v
    return format(v, spec) + suffix


def table_cells(rows):
    """One tuple of TABLE_HEADER's 11 strings per ``series.summarize`` row.

    GB/s with 2 decimals, percentages with 1, microseconds with 1, speedup as
    "2.00x"; the serial baseline's crossover reads "baseline".
    """
    cells = []
    for r in rows:
        cross = "baseline" if r["mode"] == "serial" else r["crossover"]
        cells.append(
            (
                r["kernel"],
                r["backend"],
                r["mode"],
                fmt(r["gbs"], ".2f"),
                fmt(r["roof_pct"], ".1f", "%"),
                fmt(r["alt_pct"], ".1f", "%"),
                fmt(r["n_max"], "d"),
                fmt(r["floor_us"], ".1f"),
                fmt(r["n_min"], "d"),
                fmt(r["speedup"], ".2f", "x"),
                fmt(cross, "d"),
            )
        )
    return cells


def seed_cells(rows):
    """SEED_HEADER cells of ``series.seed_comparison`` rows (seconds shown as ms)."""
    return [
        (k, v, b, str(n), f"{ts * 1e3:.3f} ms", f"{tb * 1e3:.3f} ms", f"{r:.2f}x")
        for k, v, b, n, ts, tb, r in rows
    ]


def ratio_cells(ratios):
    """SEED_RATIO_HEADER cells of ``series.seed_ratios``, sorted by (kernel, variant)."""
    return [(k, v, f"{r:.2f}x") for (k, v), r in sorted(ratios.items())]


def missing_lines(missing):
    """One line per (label, kernel, N, mode, why) of ``series.summarize``'s missing list."""
    return [
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


def notes(run):
    """The lines under the table: the roof, RoofFraction, unavailable backends, definitions."""
    roofs = run.roofs
    lines = []
    if roofs:
        lines.append(
            "memory roof: "
            + ", ".join(f"{k} {v:.2f} GB/s" for k, v in roofs.items())
            + f" (% roof uses {next(iter(roofs))}; it is DRAM bandwidth, so sizes that fit in "
            "cache can exceed it)"
        )
    else:
        lines.append("memory roof: not measured in this run")
    if run.roof_fractions:
        lines.append(
            "% roof alt. = resident GB/s / read-roof GB/s, the two timed in alternation in one "
            "process at the largest default N (RoofFraction; robust to the bandwidth drifting "
            "during the run)"
        )
    unavailable = {
        k: v for k, v in run.info.items() if isinstance(v, str) and v.startswith("unavailable")
    }
    for backend, why in sorted(unavailable.items()):
        lines.append(f"{backend}: {why}")
    size = run.itemsize
    lines.append(
        f"bandwidth = bytes moved / time per call: matvec {bytes_formula('matvec', size)}, "
        f"sum {bytes_formula('sum', size)} ({size}-byte elements)"
    )
    lines.append(
        "speedup = serial numpy (workers=1) time / backend time at the same N; crossover N = "
        "smallest N from which the backend beats serial numpy at every larger N; floor = "
        "time per call at the smallest N measured"
    )
    return lines


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


_Parts = namedtuple("_Parts", "heading cells notes seeds ratios missing")


def _markdown(p):
    md = [f"# parbench summary: {p.heading}", "", markdown_table(p.cells), ""]
    md += [f"- {n}" for n in p.notes]
    if p.seeds:
        md += ["", f"## {SEEDS_TITLE}", "", markdown_table(p.seeds, SEED_HEADER)]
    if p.ratios:
        md += ["", RATIOS_MD_TITLE, "", markdown_table(p.ratios, SEED_RATIO_HEADER)]
    if p.missing:
        md += ["", "Skipped or failed:", ""] + [f"- `{line}`" for line in p.missing]
    return "\n".join(md) + "\n"


def _text(p):
    text = [f"\n{p.heading}", plain_table(p.cells), ""]
    text += p.notes
    if p.seeds:
        text += ["", SEEDS_TITLE, plain_table(p.seeds, SEED_HEADER)]
    if p.ratios:
        text += ["", RATIOS_TEXT_TITLE, plain_table(p.ratios, SEED_RATIO_HEADER)]
    text += p.missing
    return "\n".join(text)


def summary(report):
    """(summary.md's text, the text printed after it) of a ``series.Report``.

    Both hold the heading, the table of every row, the notes, the seed
    comparisons where the run has them and the skipped or failed entries.
    """
    run = report.run
    parts = _Parts(
        run_heading(run),
        table_cells(report.rows),
        notes(run),
        seed_cells(report.seeds),
        ratio_cells(report.seed_ratios),
        missing_lines(report.missing),
    )
    return _markdown(parts), _text(parts)
