"""Worker process of the multiprocessing backend (started with "spawn").

It lives in ``kernels`` (not ``benchmarks``) because spawned children import
their target by module name, and asv's own importer makes benchmark modules
unimportable by name.

Protocol on the worker's duplex Pipe (every message a small pickled tuple; the
arrays themselves stay in shared memory and never travel):

driver -> worker
    ``("mv", a_key, n, s_key, cap)``  y[r0:r1] = A[r0:r1] @ x for this rank's block;
                                       A (n, n) in segment a_key, x = S[0, :n] and
                                       y = S[1, :n] in scratch segment s_key (2, cap).
    ``("vector_sum", a_key, n)``      partials[rank] = float64 sum of a[r0:r1];
                                       a (n,) in a_key, partials (workers,) float64 in "p".
    ``("free", key)``                 forget (unmap) a segment; no reply.
    ``("stop",)``                     log, unmap everything, reply ("bye",), exit.
worker -> driver
    ``("ready", pid)`` once at start, ``("ok",)`` or ``("err", text)`` per
    command, ``("log", LogRecord)`` any time before the reply of the command
    that produced it.

Segments are attached by name (``prefix + key``) the first time a key is seen
and the numpy view is cached, so a steady-state call costs one tiny message
each way.
"""

import logging
import logging.handlers
import os
from multiprocessing import shared_memory

import numpy as np
from threadpoolctl import threadpool_limits

from ..compiled.block_matvec import block_matvec
from ..validate import row_blocks

log = logging.getLogger(__name__)


class _PipeLogHandler(logging.handlers.QueueHandler):
    """Sends each record to the driver over the command pipe.

    QueueHandler.prepare() formats the message and drops args/exc_info, so the
    record always pickles.  The worker is single-threaded, so its sends never
    interleave with the reply sends of the command loop.
    """

    def __init__(self, conn):
        super().__init__(None)
        self.conn = conn

    def enqueue(self, record):
        self.conn.send(("log", record))


class _Segments:
    """key -> (SharedMemory, ndarray view) of every segment this worker has attached."""

    def __init__(self, prefix):
        self.prefix = prefix
        self._segs = {}

    def get(self, key, shape, dtype):
        seg = self._segs.get(key)
        if seg is None:
            # Attaching registers the name with the resource tracker again; under
            # "spawn" the tracker is the driver's (shared), whose registry is a set,
            # so the driver's unlink() later clears it: no leak warning at exit.
            shm = shared_memory.SharedMemory(name=self.prefix + key)
            seg = self._segs[key] = (shm, np.ndarray(shape, dtype, buffer=shm.buf))
        return seg[1]

    def drop(self, key):
        seg = self._segs.pop(key, None)
        if seg is not None:
            shm, view = seg
            del seg, view  # the last view must be gone before close() (BufferError)
            shm.close()

    def drop_all(self):
        for key in list(self._segs):
            self.drop(key)


def main(conn, rank, workers, dtype, prefix, log_level):
    """Serve commands on ``conn`` until "stop" or until the driver goes away.

    ``rank``: 1..workers-1 (the driver computes block 0); ``dtype``: numpy dtype
    string of A, x, y and a; ``prefix``: shared-memory name prefix;
    ``log_level``: the driver's level for this logger (records below it are
    not even sent).
    """
    root = logging.getLogger()
    root.handlers[:] = [_PipeLogHandler(conn)]
    root.setLevel(log_level)
    # One BLAS thread per worker: the pool itself is the parallelism, and idle
    # OpenBLAS threads spinning next to the other workers cost several x (kernels.blas).
    blas = threadpool_limits(limits=1, user_api="blas")  # noqa: F841 (held for life)
    dtype = np.dtype(dtype)
    segs = _Segments(prefix)
    log.debug("multiprocessing worker %d/%d started (pid %d)", rank, workers, os.getpid())
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the driver died or closed the pipe: just exit
            break
        op = msg[0]
        if op == "free":
            segs.drop(msg[1])
            continue
        if op == "stop":
            break
        try:
            if op == "mv":
                _, a_key, n, s_key, cap = msg
                r0, r1 = row_blocks(n, workers)[rank]
                A = segs.get(a_key, (n, n), dtype)
                s = segs.get(s_key, (2, cap), dtype)
                block_matvec(A[r0:r1], s[0, :n], s[1, r0:r1])
            elif op == "vector_sum":
                _, a_key, n = msg
                r0, r1 = row_blocks(n, workers)[rank]
                a = segs.get(a_key, (n,), dtype)
                segs.get("p", (workers,), np.float64)[rank] = a[r0:r1].sum(dtype=np.float64)
            else:
                raise ValueError(f"unknown command {op!r}")
        except Exception as exc:  # report, stay alive: the driver decides
            log.warning(
                "multiprocessing worker %d (pid %d): command %r failed",
                rank,
                os.getpid(),
                op,
                exc_info=True,
            )
            conn.send(("err", f"worker {rank} (pid {os.getpid()}): {type(exc).__name__}: {exc}"))
        else:
            conn.send(("ok",))
    segs.drop_all()
    log.debug("multiprocessing worker %d/%d stopping (pid %d)", rank, workers, os.getpid())
    try:
        conn.send(("bye",))
    except OSError:
        pass
