"""Records the settings of a run with its results.

asv stores only numbers as results, but it stores every parameter value with
them; so ``RunInfo`` has one parameter whose values are the run's settings, one
``"key: value"`` line each (``benchmarks.report.settings``): BLAS vendor and
threads, numba threading layer, OpenMP runtime, MPI library, OpenCL device,
workers, dtype, size set, how the paired figures were measured (processes and
rounds per process) and the machine's load average when asv discovered the
suite.  ``python -m benchmarks.plot`` prints them in the captions and the report.
"""

import os
import platform

from . import common, pairs
from .report.settings import encode


def collect_settings():
    """{"workers", "dtype", "sizes", "python", "paired", "load", <backend>: "k=v, ..."}."""
    settings = {
        "dtype": common.dtype(),
        "sizes": common.size_set(),
        "python": platform.python_version(),
    }
    try:
        settings["paired"] = (
            f"{pairs.processes()} processes x {pairs.rounds()} rounds,"
            " 95% t interval over processes"
        )
        settings["load"] = "load average before the run: {:.2f} {:.2f} {:.2f}".format(
            *os.getloadavg()
        )
        from kernels.availability import backend_report
        from kernels.validate import check_workers

        settings["workers"] = str(check_workers(common.workers()))
        for name, ok, info in backend_report(common.workers(), common.dtype()):
            if ok:
                info = ", ".join(
                    f"{k}={v}" for k, v in info.items() if k not in ("backend", "workers", "dtype")
                )
            settings[name] = info if ok else f"unavailable: {info}"
    except Exception as exc:  # never let discovery fail: asv would lose the whole suite
        settings["error"] = f"{type(exc).__name__}: {exc}"
    return settings


class RunInfo:
    params = [encode(collect_settings())]
    param_names = ["settings"]
    unit = "workers"

    def track_info(self, settings):
        return int(self.params and _workers(self.params[0]))


def _workers(lines):
    for line in lines:
        if line.startswith("workers: "):
            return int(line.split(": ", 1)[1])
    return 0
