"""multiprocessing backend: a persistent pool of spawned workers over shared memory.

Layout (workers = P):

* P - 1 worker processes (``kernels.multiprocessing.worker``), started once in
  ``open`` with the "spawn" start method (fork is unsafe once OpenBLAS/numba
  threads exist);
  the driver process computes block 0 itself, so never more than P busy
  processes.  P = 1 starts no process at all and runs the same code.
* Every array lives in ``multiprocessing.shared_memory``: ``put`` copies A (or a)
  once into its own segment (the resident placement); x, y and the per-worker
  partial sums live in shared scratch segments.  Per call only a tiny command
  tuple goes over each worker's Pipe; no array is pickled.
* Rows are split by ``kernels.validate.row_blocks`` (numpy.array_split rule); a
  worker whose block is empty is not even messaged.
* Worker log records come back over the same Pipe and are handed to the
  driver's loggers (``_dispatch_log``), so they reach the driver's handlers and,
  with none configured, its stderr (``asv run --show-stderr``).
"""

import atexit
import functools
import itertools
import logging
import multiprocessing
import os
import secrets
import time
import weakref
from multiprocessing import resource_tracker, shared_memory
from multiprocessing.connection import wait

import numpy as np

from ..base import Backend, BackendUnavailable, WorkerError
from ..blas import BlasThreads, blas_description
from ..compiled.block_matvec import DESCRIPTION as BLOCK_MATVEC
from ..compiled.block_matvec import block_matvec
from ..validate import row_blocks
from . import worker

log = logging.getLogger(__name__)

START_METHOD = "spawn"


class _Segment:
    """Driver side of one shared-memory segment: created here, unlinked here once.

    ``array`` is a numpy view of ``shape``/``dtype`` over the whole segment.
    Raises MemoryError if /dev/shm cannot hold it.
    """

    def __init__(self, prefix, key, shape, dtype):
        self.key = key  # what workers are told; the /dev/shm name is prefix + key
        name = prefix + key
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        self.shm = shared_memory.SharedMemory(name=name, create=True, size=max(nbytes, 1))
        try:
            # Reserve the pages now: a /dev/shm too small for the segment (64 MiB in
            # a default Docker container) otherwise crashes the first write with
            # SIGBUS instead of raising.  (_fd is private but stable in CPython 3.8+.)
            os.posix_fallocate(self.shm._fd, 0, max(nbytes, 1))
        except OSError as exc:
            self.shm.close()
            self.shm.unlink()
            raise MemoryError(
                f"cannot place {nbytes} bytes in shared memory (/dev/shm): {exc}"
            ) from exc
        self.array = np.ndarray(shape, dtype, buffer=self.shm.buf)

    def release(self):
        self.array = None  # the view must die before close() (BufferError otherwise)
        self.shm.close()
        try:
            self.shm.unlink()
        except FileNotFoundError:  # removed behind our back (a /dev/shm clean-up): gone anyway
            resource_tracker.unregister(self.shm._name, "shared_memory")


def _close_at_exit(ref):
    be = ref()
    if be is not None:
        be.close()


class MultiprocessingBackend(Backend):
    """Row-block matvec and block sums on a pool of spawned processes (see module doc).

    Shapes/dtypes as in ``kernels.base``.  Extra error: ``WorkerError`` when a
    worker dies or fails during a call; after a death the backend only frees and
    closes (every later kernel call raises WorkerError).
    """

    name = "multiprocessing"
    data_is_remote = True
    pools_placements = True
    #: seconds a kernel call may wait for the workers (None: as long as they live)
    call_timeout = None
    start_timeout = 60.0
    stop_timeout = 5.0

    @classmethod
    def memory_parts(cls, kernel, n, dtype, workers, resident=True):
        from ..facts import operand_bytes, operand_name, vector_bytes
        from ..memory import PROCESS_BYTES

        s = np.dtype(dtype).itemsize
        return [
            (f"shared-memory copy of {operand_name(kernel)}", operand_bytes(kernel, n, s), "shm"),
            ("shared x, y scratch", vector_bytes(kernel, n, s), "shm"),
            (f"{workers - 1} worker processes", (workers - 1) * PROCESS_BYTES, "process"),
        ]

    # -- lifecycle -----------------------------------------------------------
    def _open(self):
        self._procs, self._conns, self._segs = [], [], {}
        self._broken = None
        self._scratch, self._cap = None, 0
        self._keys = itertools.count()
        # Unique per backend: several backends (or runs) may share /dev/shm.
        self._prefix = f"parbench_{os.getpid()}_{secrets.token_hex(3)}_"
        # The driver computes a block too: pin its BLAS to 1 thread like the workers.
        self._blas = BlasThreads(1).start()
        # Closes the pool at interpreter exit if the user forgot to.  atexit is LIFO
        # and multiprocessing registered its own hook (which only terminates daemon
        # children) at import, so this one runs first and also unlinks the segments.
        self._atexit = functools.partial(_close_at_exit, weakref.ref(self))
        atexit.register(self._atexit)
        try:
            self._partials = _Segment(self._prefix, "p", (self.workers,), np.dtype(np.float64))
            ctx = multiprocessing.get_context(START_METHOD)
            level = logging.getLogger(worker.__name__).getEffectiveLevel()
            for rank in range(1, self.workers):
                here, there = ctx.Pipe(duplex=True)
                p = ctx.Process(
                    target=worker.main,
                    name=f"parbench-mp-{rank}",
                    daemon=True,
                    args=(there, rank, self.workers, self.dtype.str, self._prefix, level),
                )
                p.start()
                there.close()  # only the worker holds its end: its death shows as EOF here
                self._procs.append(p)
                self._conns.append(here)
            self._collect(range(1, self.workers), "start", "ready", self.start_timeout)
        except BaseException as exc:
            self._close()  # base.close() does nothing after a failed open
            if isinstance(exc, (OSError, WorkerError)):
                hint = ""
                if isinstance(exc, WorkerError):
                    hint = (
                        " (the worker's traceback is on stderr; a common cause is a script that"
                        " opens the backend at import time: with the 'spawn' start method every"
                        " worker imports the main module again, so open backends under"
                        ' `if __name__ == "__main__":`)'
                    )
                raise BackendUnavailable(
                    f"cannot start the multiprocessing pool: {exc}{hint}"
                ) from exc
            raise
        log.debug(
            "multiprocessing backend: %d worker processes started (%s)",
            len(self._procs),
            START_METHOD,
        )

    def _close(self):
        for conn in self._conns:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        deadline = time.monotonic() + self.stop_timeout
        for p, conn in zip(self._procs, self._conns):
            try:  # drain its last log records up to "bye" (or EOF)
                while conn.poll(max(0.0, deadline - time.monotonic())):
                    msg = conn.recv()
                    if msg[0] == "log":
                        self._dispatch_log(msg[1])
                    elif msg[0] == "bye":
                        break
            except (EOFError, OSError):
                pass
            self._reap(p, deadline)
            conn.close()
        self._procs, self._conns = [], []
        # Residents were freed by base.close(); the rest is scratch and partials.
        for seg in [*self._segs.values(), self._scratch, getattr(self, "_partials", None)]:
            if seg is not None:
                seg.release()
        self._segs, self._scratch, self._partials = {}, None, None
        self._blas.stop()
        atexit.unregister(self._atexit)

    @staticmethod
    def _reap(p, deadline):
        """Join ``p`` until ``deadline``, then terminate, then kill: it never outlives close."""
        p.join(max(0.0, deadline - time.monotonic()))
        for stop in (p.terminate, p.kill):
            if p.exitcode is None:
                stop()
                p.join(1.0)
        if p.exitcode is not None:
            p.close()

    def describe(self):
        return {
            **super().describe(),
            "start_method": START_METHOD,
            "transport": "commands over pipes, arrays in POSIX shared memory (0600); no sockets",
            "worker_processes": str(len(self._procs) if self._is_open else self.workers - 1),
            "worker_logging": "records sent over the command pipe to the driver's loggers",
            "block_matvec": BLOCK_MATVEC,
            "blas": blas_description(),
        }

    # -- data placement ------------------------------------------------------
    def _put(self, array):
        if array.ndim == 2 and array.shape[0] > self._cap:
            self._grow_scratch(array.shape[0])  # here, so resident calls never allocate
        key = f"a{next(self._keys)}"
        seg = _Segment(self._prefix, key, array.shape, array.dtype)
        seg.array[...] = array
        self._segs[key] = seg
        return key

    def _refill(self, key, array):
        self._segs[key].array[...] = array  # the workers keep the segment mapped

    def _free(self, key):
        self._segs.pop(key).release()
        self._tell_all(("free", key))

    def _grow_scratch(self, n):
        """Scratch (2, n): row 0 is x, row 1 is y, for any matrix placed so far."""
        old = self._scratch
        self._scratch = _Segment(self._prefix, f"s{next(self._keys)}", (2, n), self.dtype)
        self._cap = n
        if old is not None:
            old.release()
            self._tell_all(("free", old.key))

    def _tell_all(self, msg):
        """Fire-and-forget message to every live worker (pipe order keeps it in sequence)."""
        if self._broken is None:
            for conn in self._conns:
                try:
                    conn.send(msg)
                except OSError:
                    pass  # a dead worker is reported by the next kernel call

    # -- kernels -------------------------------------------------------------
    def _matvec(self, key, n, x):
        A = self._segs[key].array
        s = self._scratch.array if n else None
        blocks = row_blocks(n, self.workers)
        busy = [i for i in range(1, self.workers) if blocks[i][1] > blocks[i][0]]
        if n:
            s[0, :n] = x
        s_key = self._scratch.key if n else None
        self._run(
            busy,
            ("mv", key, n, s_key, self._cap),
            lambda r0, r1: block_matvec(A[r0:r1], s[0, :n], s[1, r0:r1]),
            blocks[0],
        )
        return s[1, :n].copy() if n else np.empty(0, self.dtype)  # the caller owns y

    def _vector_sum(self, key, n):
        a = self._segs[key].array
        p = self._partials.array
        blocks = row_blocks(n, self.workers)
        busy = [i for i in range(1, self.workers) if blocks[i][1] > blocks[i][0]]
        p[:] = 0.0  # idle workers leave their partial at 0

        def own(r0, r1):
            p[0] = a[r0:r1].sum(dtype=np.float64)

        self._run(busy, ("vector_sum", key, n), own, blocks[0])
        return float(p.sum())  # the driver adds the P partials

    def _run(self, busy, cmd, own, block0):
        """Send ``cmd`` to the ``busy`` ranks, compute block 0 here, wait for all replies."""
        if self._broken is not None:
            raise WorkerError(self._broken)
        for i in busy:
            try:
                self._conns[i - 1].send(cmd)
            except OSError:  # died between calls: EPIPE on send
                self._died(i, cmd[0])
        try:
            if block0[1] > block0[0]:
                own(*block0)
        finally:  # always collect, or the next call would read this call's replies
            self._collect(busy, cmd[0], "ok", self.call_timeout)

    def _collect(self, ranks, what, expect, timeout):
        """Wait for one ``expect`` reply from each rank; forward log records meanwhile.

        Raises WorkerError (after stopping every worker) if one dies, does not
        answer within ``timeout`` seconds (None: no limit) or reports an error.
        """
        pending = {self._conns[i - 1]: i for i in ranks}
        sentinels = {self._procs[i - 1].sentinel: i for i in ranks}
        deadline = None if timeout is None else time.monotonic() + timeout
        errors = []
        try:
            while pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    self._fail(
                        f"{what}: no answer from worker(s) {sorted(pending.values())}"
                        f" within {timeout} s"
                    )
                # A death shows as EOF on the pipe; the sentinel covers the case where
                # the pipe end also leaked into another process and stays open.
                ready = wait(
                    list(pending) + [s for s, i in sentinels.items() if i in pending.values()], left
                )
                for obj in ready:
                    if obj in sentinels:
                        i = sentinels[obj]
                        conn = self._conns[i - 1]
                        if conn in pending and not conn.poll():
                            self._died(i, what)
                        continue
                    if obj not in pending:
                        continue
                    try:
                        msg = obj.recv()
                    except (EOFError, OSError):
                        self._died(pending[obj], what)
                    if msg[0] == "log":
                        self._dispatch_log(msg[1])
                        continue
                    i = pending.pop(obj)
                    if msg[0] == "err":
                        errors.append(msg[1])
                    elif msg[0] != expect:
                        self._fail(f"{what}: worker {i} answered {msg[0]!r}, expected {expect!r}")
        except BaseException:
            # Interrupted or failed mid-call: replies may still be in flight, so the
            # protocol is out of step; stop the pool rather than mis-read them later.
            if self._broken is None:
                self._stop_pool(f"a {what} call was interrupted")
            raise
        if errors:
            raise WorkerError(f"{what} failed: " + "; ".join(errors))

    def _died(self, i, what):
        p = self._procs[i - 1]
        p.join(0.5)
        self._fail(
            f"worker {i} (pid {p.pid}) died during {what}"
            f" (exit code {p.exitcode}; negative = killed by that signal)"
        )

    def _fail(self, msg):
        self._stop_pool(msg)
        raise WorkerError(msg + "; the pool is stopped: close() the backend and open a new one")

    def _stop_pool(self, why):
        """Stop every worker now (no handshake); segments stay until free/close."""
        self._broken = why + "; the pool was stopped: close() the backend and open a new one"
        log.debug("multiprocessing backend: stopping the pool: %s", why)
        deadline = time.monotonic() + 1.0
        for p in self._procs:
            if p.exitcode is None:
                p.terminate()
        for p, conn in zip(self._procs, self._conns):
            self._reap(p, deadline)
            conn.close()
        self._procs, self._conns = [], []

    @staticmethod
    def _dispatch_log(record):
        """Hand a worker's record to the driver's logger of the same name.

        Why not multiprocessing-logging (0.4.0, tried): ``install_mp_handler``
        asserts the "fork" start method; its handler holds an RLock that cannot be
        pickled into a spawn child; its fork-context Queue is refused by a spawn
        child; and a shared Queue has a cross-process lock that a worker killed
        while logging would leave held.  Its maintainer points to the standard
        library's QueueHandler/QueueListener for spawn; here the worker's
        QueueHandler sends into the worker's own command pipe and this function
        is the listener, so there is no extra thread or lock.  The record goes
        through the driver's handlers, whatever they are.
        """
        logging.getLogger(record.name).handle(record)
