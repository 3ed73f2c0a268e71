"""Records the settings of a run with its results.

asv stores only numbers as results, but it stores every parameter value with
them; so ``RunInfo`` has one parameter whose single value is a JSON object of
the run's settings (BLAS vendor and threads, numba threading layer, OpenMP
runtime, MPI library, OpenCL device, workers, dtype, size set), collected when
asv discovers the suite in the benchmark environment.  ``python -m
benchmarks.plot`` prints it in the figure captions.
"""

import json
import platform

from . import common


def collect_settings():
    """JSON string: {"workers", "dtype", "sizes", "python", <backend>: "k=v, ..."}."""
    settings = {
        "dtype": common.dtype(),
        "sizes": common.size_set(),
        "python": platform.python_version(),
    }
    try:
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
    return json.dumps(settings, sort_keys=True)


class RunInfo:
    params = [[collect_settings()]]
    param_names = ["settings"]
    unit = "workers"
    processes = 1

    def track_info(self, settings):
        return int(json.loads(settings).get("workers", 0))
