"""``python -m benchmarks.compare A B``: two runs' paired figures compared by their intervals,
and the runs' machine state (``benchmarks.report.fingerprint``).

The entry point of ``benchmarks.report.compare`` (see its docstring, and ``--help``).
"""

import sys

from .report.compare import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
