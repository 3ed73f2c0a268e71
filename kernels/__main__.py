"""``python -m kernels``: which backends run here, why not, and with what settings."""

import argparse
import sys

from .availability import backend_report
from .registry import BACKENDS


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m kernels",
        description="Open every parbench backend once and print whether it is available"
        " here, why not, and its versions, device and thread settings."
        " Exit status 1 if any backend is unavailable.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="workers per backend (default: all cores of this process)",
    )
    parser.add_argument(
        "--dtype",
        default="float64",
        choices=["float64", "float32"],
        help="element type to open the backends with (default float64)",
    )
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be >= 1")
    rows = backend_report(args.workers, args.dtype)
    width = max(len(n) for n in BACKENDS)
    for name, ok, info in rows:
        if ok:
            details = ", ".join(f"{k}={v}" for k, v in info.items() if k != "backend")
            print(f"{name:<{width}}  available    {details}")
        else:
            print(f"{name:<{width}}  UNAVAILABLE  {info}")
    return 0 if all(ok for _, ok, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
