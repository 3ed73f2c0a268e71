"""``python -m farm``: run the farm measurement of the asv benchmarks once and save it as JSON.

    python -m farm --out measurements/farm/run.json [--sizes quick] [--workers 2]
                   [--schedulers pool-map,pool-imap]

Prints one summary line per scheduler (``farm.measure.summary_lines``).  Exit
status 0; 1 when no scheduler could be measured; 2 for bad options.
"""

import argparse
import json
import os
import sys

from .measure import PLANS, make_plan, measure, summary_lines
from .registry import SCHEDULERS


def build_parser():
    p = argparse.ArgumentParser(prog="python -m farm", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the JSON result")
    p.add_argument("--sizes", default="default", choices=sorted(PLANS), help="the plan")
    p.add_argument("--workers", type=int, default=None, help="workers (default: all cores)")
    p.add_argument(
        "--schedulers",
        default=",".join(SCHEDULERS),
        help="comma-separated scheduler names (default: all)",
    )
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    names = [n.strip() for n in args.schedulers.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCHEDULERS]
    if unknown:
        print(f"unknown schedulers {unknown}; known: {', '.join(SCHEDULERS)}", file=sys.stderr)
        return 2
    result = measure(make_plan(args.sizes, args.workers, names))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f)
    print("\n".join(summary_lines(result)))
    return 0 if result["farms"] else 1


if __name__ == "__main__":
    sys.exit(main())
