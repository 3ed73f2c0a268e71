"""Where the asv run this process belongs to keeps its results.

Files parbench writes beside asv's results (the task farm's timelines, the paired
measurement's per-process records) go under the run's ``results_dir`` from
asv.conf.json.  asv sets ASV_CONF_DIR (the folder of asv.conf.json) for the
environments it builds, not for ``--python=same``; there the parent process is
asv itself, started in that folder (asv finds its asv.conf.json there unless
given ``--config``).  Outside asv there is no results directory.
"""

import json
import os


def asv_run_parent():
    """The ``asv run`` process that started this one (a psutil.Process), or None.

    A benchmark or setup_cache process is a child of ``asv run``; a test or a
    script calling the same code is not, and must not write into a results folder
    it happens to be started beside.
    """
    try:
        import psutil

        parent = psutil.Process(os.getppid())
        args = parent.cmdline()
    except Exception:  # psutil missing, the parent gone or not readable
        return None
    if any(os.path.basename(a) == "asv" for a in args) and "run" in args:
        return parent
    return None


def results_dir():
    """The absolute results directory of this asv run, or None outside asv (or unreadable)."""
    conf_dir = os.environ.get("ASV_CONF_DIR")
    if not conf_dir:
        parent = asv_run_parent()
        try:
            conf_dir = parent.cwd() if parent else None
        except Exception:  # the parent ended meanwhile
            conf_dir = None
    if not conf_dir:
        return None
    try:
        with open(os.path.join(conf_dir, "asv.conf.json")) as f:
            text = "\n".join(ln for ln in f if not ln.lstrip().startswith("//"))
        results = json.loads(text).get("results_dir", "results")
    except (OSError, ValueError):
        return None
    return os.path.join(conf_dir, results)


def asv_machine():
    """The machine name given to the ``asv run`` this process belongs to (``--machine``),
    or None (not under asv, or asv's default machine)."""
    parent = asv_run_parent()
    try:
        args = parent.cmdline() if parent else []
    except Exception:  # the parent ended meanwhile
        return None
    for i, arg in enumerate(args):
        if arg == "--machine" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--machine="):
            return arg.split("=", 1)[1]
    return None
