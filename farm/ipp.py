"""IPython Parallel farm schedulers: DirectView (static) and LoadBalancedView (dynamic).

Seed 004's comparison: the same tasks through ``client[:]`` (a DirectView: its
``map`` splits the task list into one contiguous chunk per engine before the
farm starts) and through ``client.load_balanced_view()`` (each task goes to an
idle engine: ``map`` with chunksize 1, unordered).  The engines are those of
``kernels.ipyparallel.cluster.EngineCluster`` (controller and engines on
127.0.0.1 only, message signing on, a private profile removed at close, a
reaper that kills the cluster when this process dies); the task function
``farm.tasks.run_task`` lives in an importable module, so the engines unpickle it
by reference.

Submitting and waiting go through ``EngineCluster.submit`` and ``wait``: a dead
engine raises WorkerError within about 50 ms (also when it died between two
farms, so the controller already dropped its id), Ctrl-C raises
KeyboardInterrupt (ipyparallel's own blocking get swallows it), and ``close``
then stops the whole cluster.
"""

from kernels.base import BackendUnavailable

from . import tasks
from .base import Scheduler


class _EngineFarm(Scheduler):
    """W engines of a private cluster, warmed once."""

    def _open(self):
        try:
            from kernels.ipyparallel.cluster import EngineCluster
        except ImportError as exc:
            raise BackendUnavailable(f"{self.name}: no ipyparallel cluster here: {exc}") from exc
        self._cluster = EngineCluster(self.workers, engines="local").start()
        try:
            client = self._cluster.client
            self._cluster.wait(client[:].apply_async(tasks.warm))
            self._ids = sorted(self._cluster.engine_pids)
            self._view = self._make_view(client)
        except BaseException:
            self._close(True)
            raise

    @property
    def worker_pids(self):
        return tuple(self._cluster.engine_pids[i] for i in self._ids)

    def _check_workers(self):
        self._cluster.check_engines()

    def _close(self, broken):
        cluster, self._cluster = getattr(self, "_cluster", None), None
        if cluster is not None:
            cluster.stop()

    def describe(self):
        info = self._cluster.describe() if getattr(self, "_cluster", None) else {}
        return {**super().describe(), **info}


class DirectViewFarm(_EngineFarm):
    """DirectView.map: one contiguous chunk of tasks per engine, dealt up front (static)."""

    name = "ipyparallel-direct"
    kind = "static"

    def _make_view(self, client):
        return client[self._ids]

    def _run(self, items):
        submitted = self._cluster.submit(self._view.map_async, tasks.run_task, items)
        return self._cluster.wait(submitted)


class LoadBalancedFarm(_EngineFarm):
    """LoadBalancedView.map with chunksize 1: each task to the next idle engine (dynamic)."""

    name = "ipyparallel-balanced"
    kind = "dynamic"

    def _make_view(self, client):
        return client.load_balanced_view(self._ids)

    def _run(self, items):
        result = self._cluster.submit(
            self._view.map_async, tasks.run_task, items, chunksize=1, ordered=False
        )
        return self._cluster.wait(result)
