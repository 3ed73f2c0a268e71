"""``python -m benchmarks.plot``: the command line, and the files it writes for each run.

Exit status: 0 ok, 1 no results (or nothing to plot), 2 bad --machine / --commit
(argparse also exits 2 for a bad option).
"""

import argparse
import os
import sys

from . import farm, farm_figures, library, pingpong, precision, recommend
from .figures import save_figures
from .page import write_page
from .results import Run, SelectionError, find_runs, select_runs
from .series import analyse
from .tables import summary

FORMATS = ("png", "svg", "pdf")
DEFAULT_FORMATS = ["png", "svg"]


def write_report(run, output_dir, formats, out=None):
    """Write the figures, ``summary.md`` and ``report.html`` of a ``results.Run`` under
    ``output_dir/<machine>``.

    Prints every path written, then the summary table, to ``out`` (default
    sys.stdout).  Returns the paths; [] (and no summary) when the run has no
    MatVec / VectorSum timings.  OSError when the folder or a file cannot be written.
    """
    out = sys.stdout if out is None else out
    mdir = os.path.join(output_dir, run.machine)
    os.makedirs(mdir, exist_ok=True)
    report = analyse(run)
    figures = save_figures(report, mdir, formats, out)
    if not figures:
        return figures
    figures += pingpong.save(run, mdir, formats)  # benchmarks/pingpong.py's, where run
    figures += farm_figures.save_figures(run, mdir, formats, out)  # benchmarks/taskfarm.py's
    written = list(figures)
    markdown, text = summary(report)
    # the answer first: right under the heading, before the tables
    heading, _, rest = markdown.partition("\n\n")
    short = len(precision.short(run)[0])
    markdown = f"{heading}\n\n{recommend.markdown(report, short)}{rest}"
    markdown += pingpong.markdown(run)
    markdown += library.markdown(run)  # benchmarks.paired's LibraryRatio, where run
    markdown += farm.markdown(run)  # the task farm's, where run
    markdown += precision.markdown(run)  # the paired figures short of their target
    if run.unreadable:  # filled by the readers above: parts of the run this report leaves out
        markdown += "\n## Not shown: results this report cannot read\n\n"
        markdown += "".join(f"- `{name}`: {why}\n" for name, why in run.unreadable.items())
    md_path = os.path.join(mdir, "summary.md")
    with open(md_path, "w", encoding="utf-8") as fh:
        fh.write(markdown)
    written.append(md_path)
    print(md_path, file=out)
    # the page shows every figure in ``figures``: one saved elsewhere joins by adding its paths
    page_path = write_page(report, figures, mdir)
    written.append(page_path)
    print(page_path, file=out)
    print(text, file=out)
    return written


def parse_formats(text):
    """'png,svg' -> ['png', 'svg']; argparse.ArgumentTypeError for a name not in FORMATS."""
    fmts = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(bad) or text!r}; choose from {', '.join(FORMATS)}"
        )
    return fmts


def build_parser():
    """The argparse parser of ``python -m benchmarks.plot``."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.plot",
        description=(
            "Plot parbench's asv results: time, speedup over serial numpy and bandwidth "
            "vs N for each kernel (matvec, sum), and a summary table. Reads only asv's JSON."
        ),
        epilog="Run `asv run` first (see README). "
        "Exit status: 0 ok, 1 no results, 2 bad --machine/--commit.",
    )
    p.add_argument(
        "--results",
        default="results",
        metavar="DIR",
        help="asv results directory (results_dir in asv.conf.json; default: %(default)s)",
    )
    p.add_argument(
        "--machine",
        metavar="NAME",
        help="plot only this machine (a folder under the results directory); "
        "default: every machine found",
    )
    p.add_argument(
        "--commit",
        metavar="HASH",
        help="plot the run of the commit starting with this hash prefix instead of "
        "each machine's newest run (newest by the run's date)",
    )
    p.add_argument(
        "--output",
        default="plots",
        metavar="DIR",
        help="where to write <machine>/<kernel>-{time,speedup,bandwidth}.<fmt> "
        "(and <kernel>-fastest.<fmt> of a run with paired figures), "
        "<machine>/summary.md and <machine>/report.html (default: %(default)s)",
    )
    p.add_argument(
        "--format",
        dest="formats",
        type=parse_formats,
        nargs="+",
        default=None,
        metavar="FMT",
        help=f"figure format(s), space- or comma-separated, from {', '.join(FORMATS)} "
        f"(default: {' '.join(DEFAULT_FORMATS)})",
    )
    return p


def main(argv=None):
    """Run the command line (``argv`` default sys.argv[1:]); return the exit status."""
    args = build_parser().parse_args(argv)
    formats = []
    for group in args.formats or [DEFAULT_FORMATS]:
        formats += [f for f in group if f not in formats]
    runs = find_runs(args.results)
    if not runs:
        print(
            f"no asv results in {args.results.rstrip('/')}/: run `asv run` first (see README)",
            file=sys.stderr,
        )
        return 1
    try:
        chosen = select_runs(runs, args.machine, args.commit)
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    written = []
    for header in chosen:
        paths = write_report(Run(header, args.results), args.output, formats)
        if not paths:
            print(
                f"no MatVec/VectorSum timings in {header['path']}: nothing to plot", file=sys.stderr
            )
        written += paths
    return 0 if written else 1
