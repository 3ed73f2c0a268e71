"""Placement pool: the buffers of end-to-end calls, kept for the next call of the same size.

An end-to-end call (``matvec(A, x)`` / ``vector_sum(a)`` on host arrays) places
the operand where the backend computes (device buffer, shared-memory segment,
row blocks on the ranks), computes, and frees it.  Allocating that place anew at
every call costs more than the copy itself: every new page faults on first
touch (measured on the development machine: copying 512 MiB into a touched
buffer took 47 ms, into a fresh one 98 ms to 1.17 s).  So backends whose data
lives away from the host arrays keep the last call's buffers here and copy the
next operand of the same shape and dtype into them (``Backend._refill``).

Rules, so that a pool never changes results, never leaks and never grows:

* A buffer is lent to one call at a time: ``take`` removes it from the pool.
* Only one size is kept: a call of another shape or dtype first gets back every
  idle buffer of the other sizes to free (``take`` returns them), so the pool
  holds at most the buffers of the last end-to-end size, which the memory guard
  (``kernels.memory``) already counts as that case's copy.
* At most ``limit`` bytes are kept idle (``PARBENCH_POOL_LIMIT``, default
  ``DEFAULT_LIMIT``; 0 turns pooling off); a larger buffer is freed at once.
* ``Backend.close`` frees every idle buffer; a failed call (a worker died,
  Ctrl-C) frees its own buffer and every idle one.
"""

import os

#: environment variable with the most bytes the pool keeps idle ("1GiB", "0": off)
LIMIT_ENV = "PARBENCH_POOL_LIMIT"
#: default limit: holds the largest default case (A of 8192 x 8192 float64, 512 MiB)
DEFAULT_LIMIT = 2**30


def pool_limit():
    """Bytes the pool may keep idle: PARBENCH_POOL_LIMIT or DEFAULT_LIMIT.

    Raises ValueError for an unreadable value.
    """
    from .memory import parse_bytes

    raw = os.environ.get(LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_LIMIT
    try:
        return parse_bytes(raw)
    except ValueError as exc:
        raise ValueError(f"{LIMIT_ENV}={raw!r}: {exc}") from None


def pool_key(array):
    """What buffers are shared by: (shape, dtype string) of the host array."""
    return (array.shape, array.dtype.str)


class PlacementPool:
    """Idle placement handles of one size, at most ``limit`` bytes (see the module)."""

    def __init__(self, limit):
        self.limit = int(limit)
        self._key = None
        self._idle = []  # [(handle, nbytes)] of self._key
        self.idle_bytes = 0

    def take(self, key):
        """(handle or None, [handles of other sizes to free]) for a call of ``key``."""
        evicted = []
        if key != self._key:
            evicted = self.drain()
            self._key = key
        handle = self._idle.pop()[0] if self._idle else None
        self.idle_bytes = sum(b for _, b in self._idle)
        return handle, evicted

    def give(self, key, handle, nbytes):
        """Return ``handle`` after its call; returns [handles to free] (it, if not kept)."""
        if key != self._key or self.idle_bytes + nbytes > self.limit:
            return [handle]
        self._idle.append((handle, nbytes))
        self.idle_bytes += nbytes
        return []

    def drain(self):
        """Every idle handle (the caller frees them); the pool is empty afterwards."""
        handles = [h for h, _ in self._idle]
        self._idle, self.idle_bytes, self._key = [], 0, None
        return handles

    def __len__(self):
        return len(self._idle)
