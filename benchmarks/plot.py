"""``python -m benchmarks.plot``: figures and a summary table from asv's results JSON.

The entry point of ``benchmarks.report`` (see its docstring for what is written
where, and ``--help`` for the options).
"""

import sys

from .report.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
