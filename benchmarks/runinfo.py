"""Records the settings of a run with its results.

asv stores only numbers as results, but it stores every parameter value with
them; so ``RunInfo`` has one parameter whose values are the run's settings, one
``"key: value"`` line each (``benchmarks.report.settings``): BLAS vendor and
threads, numba threading layer, OpenMP runtime, MPI library, OpenCL device,
workers, dtype, size set, how the paired figures were measured (processes and
rounds per process) and the machine's load average when asv discovered the
suite.  ``python -m benchmarks.plot`` prints them in the captions and the report.
"""

import json
import os
import platform
import tempfile

from . import common
from .report.fingerprint import cpu_list
from .report.settings import encode


def collect_settings():
    """{"workers", "dtype", "sizes", "python", "paired", "load", "affinity", "machine_name",
    "cpu", <backend>: "k=v, ..."}.

    affinity: the CPUs of ``os.sched_getaffinity`` as a compact list ("0-1");
    machine_name and cpu: ``measuring.machine.describe()``'s hardware name and CPU line.
    """
    settings = {
        "dtype": common.SETTINGS.dtype,
        "sizes": common.SETTINGS.size_set,
        "python": platform.python_version(),
    }
    try:
        settings["paired"] = (
            f"{common.SETTINGS.processes} processes x {common.SETTINGS.rounds} rounds,"
            " 95% order-statistic interval of the process medians"
        )
        settings["load"] = "load average before the run: {:.2f} {:.2f} {:.2f}".format(
            *os.getloadavg()
        )
        if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this run may use
            settings["affinity"] = cpu_list(os.sched_getaffinity(0))
        try:
            from measuring.machine import describe

            settings.update({k: v for k, v in describe().items() if k in ("machine_name", "cpu")})
        except Exception as exc:  # the hardware facts are not worth the backends' lines
            settings["machine_name"] = f"unknown ({type(exc).__name__}: {exc})"
        from kernels.availability import backend_report
        from kernels.validate import check_workers

        settings["workers"] = str(check_workers(common.SETTINGS.workers))
        for name, ok, info in backend_report(common.SETTINGS.workers, common.SETTINGS.dtype):
            if ok:
                info = ", ".join(
                    f"{k}={v}" for k, v in info.items() if k not in ("backend", "workers", "dtype")
                )
            settings[name] = info if ok else f"unavailable: {info}"
    except Exception as exc:  # never let discovery fail: asv would lose the whole suite
        settings["error"] = f"{type(exc).__name__}: {exc}"
    return settings


CACHE_PREFIX = "parbench-runinfo-"


def _cache_dir():
    """asv's environment directory, else (``--python=same``) a private folder in /tmp."""
    env_dir = os.environ.get("ASV_ENV_DIR")  # set by asv for its own environments only
    if env_dir and os.path.isdir(env_dir):
        return env_dir
    folder = os.path.join(tempfile.gettempdir(), f"{CACHE_PREFIX}{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.stat(folder)
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user")
    return folder


def _cache_path():
    """Where this asv run's settings are kept for its benchmark processes, or None.

    asv imports this module at discovery and again in each of RunInfo's
    processes, one per settings line (about 35), and every import used to open
    every backend again (seconds each, a cluster start for ipyparallel).  Every
    one of those processes is a child of the same ``asv run`` process, so the
    file is named after that parent (pid and start time) and the commit.
    Outside asv (the parent is not ``asv run``) there is no cache.
    """
    from measuring.asv_paths import asv_run_parent

    parent = asv_run_parent()
    if parent is None:
        return None
    try:
        started = int(parent.create_time())
        folder = _cache_dir()
    except Exception:
        return None
    commit = os.environ.get("ASV_COMMIT", "none")[:12]
    return os.path.join(folder, f"{CACHE_PREFIX}{parent.pid}-{started}-{commit}.json")


def _remove_stale(folder):
    """Remove the cache files of asv runs whose process is gone."""
    import psutil

    for name in os.listdir(folder):
        if not name.startswith(CACHE_PREFIX):
            continue
        try:
            pid, started = (int(x) for x in name[len(CACHE_PREFIX) :].split("-")[:2])
            alive = int(psutil.Process(pid).create_time()) == started
        except (ValueError, psutil.Error):
            alive = False
        if not alive:
            try:
                os.remove(os.path.join(folder, name))
            except OSError:
                pass


def run_settings():
    """``collect_settings()``, once per asv run: the first process computes, the rest read."""
    path = _cache_path()
    if path is not None and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    settings = collect_settings()
    if path is not None:
        _remove_stale(os.path.dirname(path))
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(settings, f)
        os.replace(tmp, path)
    return settings


class RunInfo(common.Benchmark):
    params = [encode(run_settings())]
    param_names = ["settings"]
    unit = "workers"

    def track_info(self, settings):
        return int(self.params and _workers(self.params[0]))


def _workers(lines):
    for line in lines:
        if line.startswith("workers: "):
            return int(line.split(": ", 1)[1])
    return 0
