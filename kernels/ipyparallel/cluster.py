"""A private IPython Parallel cluster on this host, that lets nobody else in and leaves nothing.

``EngineCluster(n).start()`` starts one ipyparallel controller and ``n``
engines with ``ipyparallel.Cluster`` and connects a ``Client``; ``stop()``
stops them all.  Used by the ipyparallel backend and by the task farm.

What it guarantees, and why each is needed (ipyparallel 9.2.0, pyzmq 27.3):

* Loopback only: the controller is started with ``--ip=127.0.0.1`` and the
  engines connect to it there (their own heartbeat and nanny sockets follow the
  controller's address); the default would bind every interface.
* Signing on: ipyparallel's message signing (HMAC-SHA256 with the key in the
  connection files) is left at its default, on; ``describe()`` reports it.
* Private files: the profile is a fresh ``tempfile.mkdtemp`` directory (mode
  0700; the connection files in it are 0600), not the user's ``~/.ipython``,
  where every cluster would leave a log and an engines file; it is removed by
  ``stop``.
* Nothing left: ipyparallel starts its processes in sessions of their own, so
  they outlive a killed driver (13 processes for 2 engines, with their
  connection files).  A reaper process (``kernels.ipyparallel.reaper``) holds a
  pipe from the driver and, when it closes (clean stop or the driver's death,
  SIGKILL included), kills every process of the cluster and removes the profile.
* Fast failure: a killed engine is reported by ipyparallel only when the other
  engines' tasks end, or after its ~30 s heartbeat; ``wait`` checks the engine
  processes itself every 50 ms and raises WorkerError.
* Ctrl-C: ``AsyncResult.get`` in a blocking call returns on KeyboardInterrupt
  without raising it; ``wait`` polls instead, so the KeyboardInterrupt reaches
  the caller.

``engines="mpi"`` starts the engines as one MPI job (``mpiexec -n n python -m
ipyparallel.engine``), so they share an MPI_COMM_WORLD, with the mpich wheel's
single-host process manager ``mpiexec.gforker`` (hydra would listen on every
interface) and ``UCX_TLS=sm,self`` (shared memory, no TCP listener).
"""

import logging
import os
import subprocess
import sys
import tempfile
import time

from ..base import BackendUnavailable, WorkerError

#: engine launchers this module knows: registry value -> ipyparallel launcher name
ENGINE_LAUNCHERS = {"local": "local", "mpi": "mpi"}
#: how often (s) a waiting driver checks that every engine process is alive
ENGINE_CHECK_PERIOD_S = 0.05
#: seconds the engines may take to register with the controller
START_TIMEOUT_S = 60
#: seconds the reaper may take to sweep after a stop
_REAPER_TIMEOUT_S = 10
#: seconds ``stop`` waits for the engines to acknowledge a shutdown request
SHUTDOWN_WAIT_S = 2.0
#: the address every socket of the cluster is bound to
LOOPBACK = "127.0.0.1"


def _import_ipyparallel():
    try:
        import ipyparallel
    except ImportError as exc:
        raise BackendUnavailable(f"ipyparallel is not installed here: {exc}") from exc
    return ipyparallel


def _mpi_engine_config(config):
    """Point ipyparallel's MPI engine launcher at the wheel's single-host process manager."""
    bindir = os.path.dirname(sys.executable)
    gforker = os.path.join(bindir, "mpiexec.gforker")
    if not os.access(gforker, os.X_OK):
        raise BackendUnavailable(
            f"engines='mpi' needs the mpich wheel's mpiexec.gforker in {bindir}"
            " (pip install mpich mpi4py)"
        )
    config.MPIEngineSetLauncher.mpi_cmd = [gforker]
    config.MPIEngineSetLauncher.environment = {"UCX_TLS": os.environ.get("UCX_TLS", "sm,self")}


class EngineCluster:
    """A controller and ``n`` engines on this host, on 127.0.0.1 only.

    ``n``: engines (int >= 1); ``engines``: "local" (one process each,
    ipyparallel's local launcher) or "mpi" (one MPI job, see the module doc).
    After ``start``: ``client`` (a connected ``ipyparallel.Client`` with ``n``
    engines registered), ``engine_pids`` ({engine id: pid}), ``profile_dir``.
    Raises BackendUnavailable from ``start`` when ipyparallel (or, for "mpi",
    the mpich wheel) is missing, or the engines do not register in time.
    Usable as a context manager; ``stop`` is idempotent.
    """

    def __init__(self, n, engines="local"):
        if engines not in ENGINE_LAUNCHERS:
            raise ValueError(f"engines={engines!r}; choose one of {', '.join(ENGINE_LAUNCHERS)}")
        self.n, self.engines = int(n), engines
        self.client = self.profile_dir = self._cluster = self._reaper = None
        self.engine_pids, self._engine_procs = {}, {}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- start ---------------------------------------------------------------
    def start(self):
        """Start the reaper, the controller and the engines; connect the client."""
        ipp = _import_ipyparallel()
        from traitlets.config import Config

        self.profile_dir = tempfile.mkdtemp(prefix="parbench-ipp-")
        self._reaper = subprocess.Popen(
            [sys.executable, "-I", os.path.join(os.path.dirname(__file__), "reaper.py")]
            + [self.profile_dir],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            config = Config()
            if self.engines == "mpi":
                _mpi_engine_config(config)
            self._cluster = ipp.Cluster(
                n=self.n,
                engines=ENGINE_LAUNCHERS[self.engines],
                profile_dir=self.profile_dir,
                controller_ip=LOOPBACK,
                delay=0.0,  # the engines wait for the controller's connection info anyway
                load_profile=False,
                engine_timeout=START_TIMEOUT_S,
                log_level=logging.WARNING,
                config=config,
            )
            self.client = self._cluster.start_and_connect_sync()
            self.client.wait_for_engines(self.n, timeout=START_TIMEOUT_S)
            self._record_engines()
        except BaseException as exc:
            self.stop()
            if isinstance(exc, (TimeoutError, OSError)):
                raise BackendUnavailable(f"ipyparallel cluster did not start: {exc}") from exc
            raise
        return self

    def _record_engines(self):
        import psutil

        pids = self.client[:].apply_async(os.getpid)
        self.engine_pids = dict(zip(self.client.ids, self.wait(pids, check=False)))
        self._engine_procs = {i: psutil.Process(p) for i, p in self.engine_pids.items()}

    # -- use -----------------------------------------------------------------
    def check_engines(self):
        """Raise WorkerError naming every engine whose process is gone."""
        import psutil

        gone = []
        for i, proc in self._engine_procs.items():
            try:
                dead = proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
            except psutil.NoSuchProcess:
                dead = True
            if dead:
                gone.append(f"{i} (pid {proc.pid})")
        if gone:
            raise WorkerError(
                f"ipyparallel: engine{'s' if len(gone) > 1 else ''} {', '.join(gone)} died"
            )

    def _engines_alive(self):
        try:
            self.check_engines()
        except WorkerError:
            return False
        return True

    def submit(self, call, *args, **kwargs):
        """Return ``call(*args, **kwargs)``, an ipyparallel AsyncResult.

        The controller drops a dead engine's id within a heartbeat, after which a
        view that names it raises its own error (a KeyError on the engine id) at
        submission; this raises WorkerError naming the dead engine instead.
        """
        try:
            return call(*args, **kwargs)
        except Exception:
            self.check_engines()
            raise

    def wait(self, result, check=True):
        """Wait for an ipyparallel AsyncResult; return ``result.get()``.

        Checks the engine processes every ENGINE_CHECK_PERIOD_S seconds
        (``check``).  Raises WorkerError when an engine died or a task raised on
        an engine (with the engine's error text), KeyboardInterrupt on Ctrl-C.
        """
        import ipyparallel

        while not result.ready():
            result.wait(ENGINE_CHECK_PERIOD_S)
            if check:
                self.check_engines()
        try:
            return result.get()
        except ipyparallel.error.CompositeError as exc:
            raise WorkerError(f"ipyparallel: {_first_remote_error(exc)}") from exc
        except ipyparallel.error.RemoteError as exc:
            raise WorkerError(f"ipyparallel: engine error {exc.ename}: {exc.evalue}") from exc
        except ipyparallel.error.EngineError as exc:
            raise WorkerError(f"ipyparallel: {exc}") from exc

    def describe(self):
        """{"engines", "controller", "signing", "profile"}: str values for describe()."""
        session = self.client.session if self.client is not None else None
        signed = bool(session is not None and session.key)
        return {
            "engines": f"{self.n} ({self.engines} launcher)",
            "controller": f"ipyparallel controller on {LOOPBACK}",
            "signing": (
                f"on ({session.signature_scheme}, key in 0600 connection files)"
                if signed
                else "OFF"
            ),
            "profile": "private temporary directory, removed at close",
        }

    # -- stop ----------------------------------------------------------------
    def stop(self):
        """Stop the engines and controller, then let the reaper sweep; idempotent.

        Healthy cluster: the engines are asked to exit (an MPI job's process
        manager, gforker, ignores the launcher's SIGTERM, which then waits 5 s
        before SIGKILL), then the launchers stop what is left: 0.6-1.1 s, where
        ``stop_cluster_sync`` took 2-5 s.  A dead, stopped or hung engine never
        acknowledges (the request waits for every engine's reply), and the
        launchers would wait 5 s per process for it: after SHUTDOWN_WAIT_S the
        reaper kills the whole cluster instead.
        """
        try:
            graceful = False
            if self.client is not None:
                if self._engines_alive():
                    graceful = _bounded(self.client.shutdown, SHUTDOWN_WAIT_S)
                _quietly(self.client.close)
            if self._cluster is not None and graceful:
                _quietly(self._cluster.stop_engines_sync)
                _quietly(self._cluster.stop_controller_sync)
        finally:
            self.client = self._cluster = None
            self._engine_procs = {}
            self._end_reaper()

    def _end_reaper(self):
        reaper, self._reaper = self._reaper, None
        if reaper is None:
            return
        reaper.stdin.close()  # the reaper sweeps and removes the profile
        try:
            reaper.wait(_REAPER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            reaper.kill()
            reaper.wait()
        time.sleep(0)  # let psutil see the sweep's kills before a caller checks


def _bounded(shutdown, timeout):
    """``shutdown(targets="all", block=True)`` in a daemon thread, waited for ``timeout`` s.

    Returns True if every engine acknowledged in time.
    """
    import threading

    done = []
    thread = threading.Thread(target=lambda: done.append(_quietly(shutdown, "all", block=True)))
    thread.daemon = True
    thread.start()
    thread.join(timeout)
    return bool(done) and done[0]


def _quietly(step, *args, **kwargs):
    """``step(*args, **kwargs)``; True if it returned, False if it raised (the reaper follows)."""
    try:
        step(*args, **kwargs)
    except Exception:
        return False
    return True


def _first_remote_error(exc):
    """'engine E: Name: text' of the first error inside an ipyparallel CompositeError."""
    for ename, evalue, _tb, info in exc.elist:
        engine = info.get("engine_id", "?") if isinstance(info, dict) else "?"
        return f"engine {engine}: {ename}: {evalue}"
    return str(exc)
