"""The paired measurement's records, kept per process as each process ends.

The paired measurement (measuring/pairs.py) runs K measuring processes one after
the other; each returns its per-round ratios of every figure.  Held only in memory,
an interrupted run (Ctrl-C, asv's timeout, a killed asv) lost every process it had
finished, and the per-process values behind an interval were thrown away.  A
``ProcessRecords`` folder keeps them:

    <results_dir>/paired/<machine>/<commit8>-<env>-<plan hash>/
        plan.json          the plan every process measures (sizes, backends, seeds, ...)
        process-<i>.json   one measuring process's records, written (atomically) as it ends
        figures.json       at the end: every figure's interval and its per-process values

``<results_dir>`` is the asv run's (``measuring.asv_paths``), ``<machine>`` the
asv machine name (``PARBENCH_MACHINE`` if set, as scripts/run-all.sh sets it, else
the asv run's ``--machine``, else the hardware name), and the plan hash covers
everything that decides what is measured (backends, sizes, rounds, processes,
workers, dtype, budget).  A run of the same commit,
environment and plan whose folder has no figures.json yet resumes: the processes
already saved are not measured again.  A folder with figures.json is a finished
run; the next run of the same plan gets a new folder (``-2``, ``-3``, ...).
Outside asv (no results_dir) the records go to a temporary folder and nothing is
resumed.
"""

import hashlib
import json
import os
import re
import tempfile

MACHINE_ENV = "PARBENCH_MACHINE"
FIGURES = "figures.json"
PLAN = "plan.json"
_PROCESS = re.compile(r"^process-(\d+)\.json$")


def plan_hash(plan):
    """8 hex digits of sha256 over the plan's canonical JSON."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:8]


def run_prefix(commit, env_name):
    """The start of a run's folder name: "<commit8>-<env>" (env hashed when long)."""
    commit = (commit or "nocommit")[:8]
    env = env_name or "noenv"
    env = hashlib.sha256(env.encode()).hexdigest()[:8] if len(env) > 40 else env
    return f"{commit}-{env}"


def _machine():
    """PARBENCH_MACHINE, else the asv run's ``--machine``, else the hardware name: the
    records sit beside the asv results of the same machine name."""
    from .asv_paths import asv_machine
    from .machine import machine_name

    return os.environ.get(MACHINE_ENV) or asv_machine() or machine_name()


def _write_json(path, data):
    """Write ``data`` to ``path`` atomically (a reader never sees half a file)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


class ProcessRecords:
    """One paired measurement's folder: ``saved()``, ``save(i, record)``, ``finish(figures)``.

    ``folder``: the folder's path (made if missing).
    """

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    @classmethod
    def for_run(cls, plan, results=None):
        """The folder of this run's ``plan`` under ``results`` (default: the asv run's
        results_dir; a new temporary folder outside asv): an unfinished one of the
        same commit, environment and plan is resumed, a finished one is not reused."""
        if results is None:
            from .asv_paths import results_dir

            results = results_dir()
        if results is None:
            return cls(tempfile.mkdtemp(prefix="parbench-paired-"))
        prefix = run_prefix(os.environ.get("ASV_COMMIT"), os.environ.get("ASV_ENV_NAME"))
        base = os.path.join(results, "paired", _machine(), f"{prefix}-{plan_hash(plan)}")
        folder, n = base, 1
        while os.path.exists(os.path.join(folder, FIGURES)):
            n += 1
            folder = f"{base}-{n}"
        return cls(folder)

    def saved(self):
        """{process index: record} of the processes already saved here."""
        out = {}
        for name in sorted(os.listdir(self.folder)):
            m = _PROCESS.match(name)
            if m:
                try:
                    with open(os.path.join(self.folder, name), encoding="utf-8") as fh:
                        out[int(m.group(1))] = json.load(fh)
                except (OSError, ValueError):
                    continue  # a file cut by a crash of the machine: measured again
        return out

    def save_plan(self, plan):
        """Keep the plan the processes measure (plan.json: what the figures' keys mean)."""
        _write_json(os.path.join(self.folder, PLAN), plan)

    def save(self, index, record):
        """Keep process ``index``'s ``record`` (a JSON-able dict)."""
        _write_json(os.path.join(self.folder, f"process-{index}.json"), record)

    def finish(self, figures):
        """Write figures.json (``figures``: JSON-able) and so mark the measurement finished."""
        path = os.path.join(self.folder, FIGURES)
        _write_json(path, figures)
        return path
