"""``report.html``: one self-contained page per run, built from a list of sections (Jinja2).

The page is what ``sections`` returns, in order; the template
(``templates/report.html.j2``) only loops over it, so nothing on the page is
written twice.  A ``Section`` holds a title, paragraphs, bullet items, tables
(``Table``: a header and rows of text cells, as ``tables`` formats them) and
figures (``Figure``: a figure file the CLI wrote, embedded as a data URI).

* A new table or figure group joins by a builder appended to ``BUILDERS``: a
  function (report, figure_paths) -> [Section, ...]; or by a ``Table`` added to an
  existing builder's section.
* Every figure file the CLI wrote joins by itself: ``figure_sections`` groups the
  paths it is given by kernel (file names ``<kernel>-<what>.<fmt>``; any other name
  goes under "Other figures") and embeds each figure once, SVG before PNG.

The page needs no server and no network: figures are ``data:`` URIs in ``<img>``
(each SVG stays its own document, so its ids and style cannot clash with the
page's), the style sheet is inline, and the only links are to the figure files
next to the page and to the page's own sections.  jinja2 is imported inside
``render`` only: asv imports this module during discovery, where jinja2 is absent.
"""

import base64
import os
import re
from dataclasses import dataclass, field

from kernels.facts import KERNELS, TITLES

from . import precision, recommend, tables
from .farm import sections as farm_sections
from .results import format_date

PAGE_NAME = "report.html"
TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
TEMPLATE = "report.html.j2"
#: figure formats a browser shows from a data URI, preferred first; others are only linked
EMBEDDABLE = {".svg": "image/svg+xml", ".png": "image/png"}
#: what the figures of ``figures.PLOTS`` show; a name not here is shown as it is
FIGURE_TITLES = {
    "time": "time per call",
    "speedup": "speedup over serial numpy",
    "bandwidth": "memory bandwidth",
    "fastest": "fastest backend at each N (95% intervals)",
}


@dataclass
class Table:
    """One table: ``header`` (column names), ``rows`` (tuples of str, one per row).

    title: shown above it ("" for none); numbers_from: the index of the first column of
    numbers (right-aligned, from there on), None when every column is text.
    """

    header: tuple
    rows: list
    title: str = ""
    numbers_from: int = None


@dataclass
class Figure:
    """One figure: name (the file stem, "matvec-time"), title, src (a data URI, or ""
    when no file of it is in an embeddable format) and files (the file names of every
    format written, linked relative to the page)."""

    name: str
    title: str
    src: str
    files: list


@dataclass
class Section:
    """A part of the page: a heading, then paragraphs, items, tables and figures.

    anchor: the section's id in the page (its link in the contents).
    """

    title: str
    anchor: str
    paragraphs: list = field(default_factory=list)
    items: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)


def anchor(text):
    """'Seed versions (resident)' -> 'seed-versions-resident': a section id."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def unavailable(run):
    """{backend: reason} of the backends RunInfo says are unavailable, sorted by name."""
    out = {}
    for key, value in sorted(run.info.items()):
        if isinstance(value, str) and value.startswith("unavailable"):
            reason = value.split(":", 1)[1].strip() if ":" in value else value
            out[key] = reason
    return out


def _machine_rows(run):
    """(fact, value) rows: the run's commit, date, env and file, then the machine's facts."""
    rows = [
        ("commit", run.commit),
        ("date", format_date(run.date)),
        ("environment", run.env_name or "?"),
        ("results file", run.path),
        ("workers", str(run.workers) if run.workers else tables.MISSING),
    ]
    for key in ("machine", "cpu", "num_cpu", "arch", "os", "ram"):
        value = run.machine_fact(key)
        if value in (None, ""):
            continue
        if key == "ram":
            try:  # asv records bytes (MemTotal * 1024)
                value = f"{int(value) / 2**30:.1f} GiB"
            except (TypeError, ValueError):
                pass
        rows.append((key, str(value)))
    return rows


def answer_section(report, figure_paths):
    """Which backend to use at which N, per kernel, and the machine it holds for."""
    found = recommend.answer(report)
    if not found:
        return []
    intro = (
        f"On {recommend.machine_line(report.run)}; for {recommend.conditions(report.run)}. "
        "Speedups over serial numpy with their 95% intervals; backends whose intervals "
        "overlap are ties."
    )
    items = [s.replace("**", "") for _k, sentences in found for s in sentences]
    short = len(precision.short(report.run)[0])
    if short:
        items.append(f"{short} figures fell short of their precision target (see below).")
    return [Section("Which backend to use", "answer", [intro], items)]


def run_section(report, figure_paths):
    """The run: its settings as RunInfo recorded them (BLAS, MPI, OpenCL device, workers,
    dtype, ...) and the machine it ran on."""
    run = report.run
    settings = Table(
        ("setting", "value"), [(k, str(v)) for k, v in run.info.items()], "Run settings (RunInfo)"
    )
    section = Section(
        "Run", "run", tables=[settings, Table(("fact", "value"), _machine_rows(run), "Machine")]
    )
    if not run.info:
        section.paragraphs.append("This run recorded no settings (no RunInfo benchmark).")
    return [section]


def summary_section(report, figure_paths):
    """The summary table of every (backend, mode) row, as in summary.md; of a paired run
    also the end-to-end costs."""
    header = tables.summary_header(report.paired)
    found = [Table(header, tables.table_cells(report.rows, report.paired), numbers_from=3)]
    if report.costs:
        cells = tables.cost_cells(report.costs)
        found.append(Table(tables.COST_HEADER, cells, tables.COST_TITLE, numbers_from=2))
    return [Section("Summary", "summary", tables=found)]


def notes_section(report, figure_paths):
    """The notes under the summary table: roof, definitions, unavailable backends."""
    return [Section("Notes", "notes", items=tables.notes(report.run, report.paired))]


def fastest_section(report, figure_paths):
    """The fastest backend at each N with the backends tied with it, of a paired run."""
    if not report.fastest:
        return []
    table = Table(tables.FASTEST_HEADER, tables.fastest_cells(report.fastest), numbers_from=3)
    return [Section("Fastest backend at each N", "fastest", [tables.FASTEST_TITLE], [], [table])]


def seeds_section(report, figure_paths):
    """The seeds' plain versions against parbench's backends, where the run has them."""
    found = []
    if report.seeds:
        found.append(Table(tables.SEED_HEADER, tables.seed_cells(report.seeds), numbers_from=3))
    if report.seed_ratios:
        cells = tables.ratio_cells(report.seed_ratios)
        found.append(Table(tables.SEED_RATIO_HEADER, cells, tables.RATIOS_MD_TITLE, numbers_from=2))
    return [Section(tables.SEEDS_TITLE, "seeds", tables=found)] if found else []


def missing_section(report, figure_paths):
    """Backends unavailable on the machine (with RunInfo's reason), then every entry
    that was skipped or failed; says so when there are none."""
    section = Section("Unavailable, skipped or failed", "missing")
    if report.not_run:
        section.paragraphs.append(precision.not_run_line(report.not_run))
    reasons = unavailable(report.run)
    if reasons:
        rows = list(reasons.items())
        section.tables.append(Table(("backend", "reason"), rows, "Unavailable backends"))
    if report.missing:
        rows = [
            (label, kernel, str(n), mode, why) for label, kernel, n, mode, why in report.missing
        ]
        header = ("backend", "kernel", "N", "mode", "what")
        section.tables.append(Table(header, rows, "Skipped or failed"))
    if report.run.unreadable:
        rows = list(report.run.unreadable.items())
        title = "Not shown: results this report cannot read"
        section.tables.append(Table(("benchmark", "why"), rows, title))
    if not reasons and not report.missing and not report.run.unreadable:
        section.paragraphs.append("None: every backend was available and every entry has a time.")
    return [section]


def precision_section(report, figure_paths):
    """The paired figures short of their precision target, and the ties left open."""
    if not precision.figures_files(report.run):
        return []
    section = Section(precision.TITLE, "precision")
    rows = precision.rows(report.run)
    if rows:
        section.tables.append(Table(precision.HEADER, rows, numbers_from=1))
    else:
        section.paragraphs.append("None: every figure met its target.")
    for title, items in precision.notes(report.run):
        section.paragraphs.append(f"{title} {'; '.join(items)}")
    return [section]


def _data_uri(path, mime):
    with open(path, "rb") as fh:
        return f"data:{mime};base64," + base64.b64encode(fh.read()).decode("ascii")


def figure(stem, paths):
    """The Figure of the files ``paths`` (one figure in several formats) named ``stem``."""
    by_ext = {os.path.splitext(p)[1].lower(): p for p in paths}
    src = ""
    for ext, mime in EMBEDDABLE.items():
        if ext in by_ext:
            src = _data_uri(by_ext[ext], mime)
            break
    kernel, _, what = stem.partition("-")
    title = FIGURE_TITLES.get(what, what) if kernel in KERNELS else stem
    return Figure(stem, title, src, [os.path.basename(p) for p in paths])


def figure_sections(report, figure_paths):
    """One section per kernel with figures, then "Other figures"; every path of
    ``figure_paths`` joins, in the order given (formats of one stem together)."""
    stems = {}
    for path in figure_paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        stems.setdefault(stem, []).append(path)
    groups = {kernel: [] for kernel in KERNELS}
    groups[None] = []
    for stem, paths in stems.items():
        kernel = stem.partition("-")[0]
        groups[kernel if kernel in KERNELS else None].append(figure(stem, paths))
    out = []
    for kernel, figs in groups.items():
        if figs:
            title = f"Figures: {TITLES[kernel]}" if kernel else "Other figures"
            out.append(Section(title, anchor(f"figures {kernel or 'other'}"), figures=figs))
    return out


#: the page, in order: each builder (report, figure_paths) -> [Section, ...]
BUILDERS = [
    answer_section,
    fastest_section,
    figure_sections,
    summary_section,
    notes_section,
    seeds_section,
    farm_sections,
    precision_section,
    missing_section,
    run_section,
]


def sections(report, figure_paths):
    """Every Section of the page of a ``series.Report`` whose figure files are
    ``figure_paths``, in ``BUILDERS`` order.  OSError when a figure cannot be read."""
    out = []
    for build in BUILDERS:
        out += build(report, list(figure_paths))
    return out


def render(report, figure_paths):
    """The page's HTML text (Jinja2, autoescaped).  ImportError without jinja2."""
    try:
        import jinja2
    except ImportError as exc:
        raise ImportError("jinja2 writes report.html: pip install -r requirements.txt") from exc
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    run = report.run
    return env.get_template(TEMPLATE).render(
        heading=f"{run.machine} @ {run.commit[:8]} ({format_date(run.date)})",
        machine=run.machine,
        source=run.path,
        sections=sections(report, figure_paths),
    )


def write_page(report, figure_paths, mdir):
    """Write ``mdir/report.html`` of a ``series.Report``; return its path.

    ``figure_paths``: the figure files written for the run (``figures.save_figures``).
    OSError when a figure cannot be read or the page cannot be written.
    """
    path = os.path.join(mdir, PAGE_NAME)
    text = render(report, figure_paths)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
