"""The one contract every backend implements (modelled on BabelStream's Stream).

A backend is an object with a lifecycle::

    with get_backend("mpi", workers=2) as be:   # start ranks / pool / context / JIT
        A_r = be.put(A)                           # place A where the backend keeps it
        y = be.matvec(A_r, x)                     # resident: x goes in, y comes back
        y = be.matvec(A, x)                       # end-to-end: place A, compute, keep for reuse
        s = be.vector_sum(be.put(a))
    # leaving the block stops every process and frees every buffer

Kernels (identical in every backend):

* matvec: ``y = A @ x``; A of shape (N, N), x and y of shape (N,); rows split in
  ``numpy.array_split`` blocks over the workers.
* vector sum: ``s = sum(a)``; a of shape (N,); one partial sum per block, then one
  reduction.  Every backend except ``numpy`` accumulates in float64 whatever the
  dtype and rounds the result to the dtype once at the end.

Every call blocks until its result is a host numpy value.  Errors raised by every
backend alike: TypeError / ValueError for bad arguments (see ``kernels.validate``),
``BackendClosed`` for a call on a closed backend, ``BackendUnavailable`` from
``open()`` when the backend cannot run on this machine.
"""

import abc
import itertools

import numpy as np

from . import validate as v
from .placement_pool import PlacementPool, pool_key, pool_limit


class BackendUnavailable(RuntimeError):
    """The backend cannot run here (missing library, device or extension)."""


class BackendClosed(RuntimeError):
    """A kernel was called on a backend that is not open."""


class WorkerError(RuntimeError):
    """A worker process or rank failed or died during a call."""


class Resident:
    """An array placed where a backend keeps it (returned by ``Backend.put``).

    Attributes: ``shape`` (tuple), ``dtype`` (numpy dtype), ``nbytes`` (int,
    bytes of the host array it was made from), ``handle`` (backend-private).
    """

    _ids = itertools.count()

    def __init__(self, owner, shape, dtype, handle):
        self.owner = owner
        self.shape = shape
        self.dtype = dtype
        self.nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        self.handle = handle
        self.id = next(Resident._ids)
        self.freed = False

    def __repr__(self):
        return f"<Resident {self.owner.name} {self.shape} {self.dtype}>"


class Backend(abc.ABC):
    """Base class of all backends.

    Parameters: ``workers`` (int >= 1; None = all cores this process may use),
    ``dtype`` (float64 or float32; every array passed in must have it).

    Subclasses set ``name`` and ``data_is_remote`` (True when ``put`` copies data
    away from the host arrays, so resident and end-to-end timings differ) and
    implement ``_open``, ``_close``, ``_put``, ``_free``, ``_matvec``, ``_vector_sum``.
    """

    name = None
    data_is_remote = False
    #: True where end-to-end calls keep their placement for the next call of the
    #: same size (``kernels.placement_pool``); such a backend implements ``_refill``
    pools_placements = False

    def __init__(self, workers=None, dtype=np.float64):
        self.workers = v.check_workers(workers)
        self.dtype = v.check_dtype(dtype)
        self._is_open = False
        self._residents = {}
        self._placements = None

    # -- lifecycle -----------------------------------------------------------
    def open(self):
        """Start what the backend needs (threads, processes, context, JIT).

        Raises BackendUnavailable if it cannot run here.  Idempotent.
        """
        if not self._is_open:
            limit = pool_limit() if self.pools_placements else 0
            self._open()
            self._placements = PlacementPool(limit) if limit > 0 else None
            self._is_open = True
        return self

    def close(self):
        """Free every resident array and stop every process/thread started.

        Idempotent; safe to call after a failed ``open``.
        """
        if not self._is_open:
            return
        self._is_open = False
        try:
            for r in list(self._residents.values()):
                self._release(r)
            self._drain_pool()
        finally:
            self._residents.clear()
            self._placements = None
            self._close()

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @classmethod
    def memory_parts(cls, kernel, n, dtype, workers, resident=True):
        """What this backend allocates for one case besides the caller's arrays.

        Returns a list of (what, bytes, where); where is "host", "shm" (shared
        memory), "device" (device buffers) or "process" (extra processes); see
        ``kernels.memory``.  Default: nothing (the backend computes on the
        caller's arrays).
        """
        return []

    def memory_limits(self):
        """Limits of memory outside host RAM, known once open: {"device": bytes of
        device memory, "buffer": largest single buffer}; {} when none apply."""
        return {}

    @property
    def is_open(self):
        return self._is_open

    #: Inputs with fewer elements than this (N for the sum, N*N for the matvec) run
    #: on one thread, because starting the parallel region costs more than the
    #: other threads save; 0: always all workers.  Set by numba and cython-openmp.
    serial_below = 0

    def _one_thread(self, elements):
        """True if an input of ``elements`` elements runs on one thread (serial_below)."""
        return elements < self.serial_below

    def rest(self):  # noqa: B027 (optional hook: most backends' workers block when idle)
        """Let this backend's workers stop using the CPUs now, until the next call.

        Workers that spin after a call (MPI ranks poll for SPIN_S) would take a
        core from whatever a measurement times next; it calls this, untimed,
        after each of this backend's turns.  Default: nothing to do (pools,
        engines and OpenMP threads block or yield when idle).
        """

    def claim_threads(self):  # noqa: B027 (optional hook: most backends have nothing to re-apply)
        """Re-apply this backend's thread settings (BLAS threads) in this process.

        For a measurement that alternates two open backends whose settings differ
        (numpy with N BLAS threads and the one-thread baseline): called before
        each side's timing, outside the timed region.  Default: nothing to do.
        """

    def describe(self):
        """Settings of this backend as a dict of str -> str (threads, device, versions)."""
        d = {"backend": self.name, "workers": str(self.workers), "dtype": self.dtype.name}
        if self.serial_below:
            d["serial_below"] = f"{self.serial_below} elements"
        if self.pools_placements:
            limit = self._placements.limit if self._placements is not None else 0
            d["placement_pool"] = (
                f"end-to-end placements kept for the next call of the same size, up to"
                f" {limit} bytes"
                if limit
                else "off (every end-to-end call places its operand anew)"
            )
        return d

    # -- data placement ------------------------------------------------------
    def put(self, array):
        """Place a 1-D (N,) or 2-D (N, N) array of the backend's dtype; return a Resident."""
        self._check_open()
        if isinstance(array, np.ndarray) and array.ndim not in (1, 2):
            raise ValueError(
                f"array must be 1-D (N,) or 2-D (N, N), got {array.ndim}-D shape {array.shape}"
            )
        if isinstance(array, np.ndarray) and array.ndim == 2:
            array = v.check_matrix(array, self.dtype)
        else:
            array = v.check_vector("array", array, None, self.dtype)
        r = Resident(self, array.shape, array.dtype, self._put(array))
        self._residents[r.id] = r
        return r

    def free(self, resident):
        """Release a Resident made by ``put`` (also done by ``close``)."""
        self._check_open()
        self._check_resident(resident, None)
        self._release(resident)
        del self._residents[resident.id]

    def _release(self, resident):
        if not resident.freed:
            resident.freed = True
            self._free(resident.handle)

    # -- kernels -------------------------------------------------------------
    def matvec(self, A, x):
        """Return ``y = A @ x`` as a host ndarray of shape (N,) and the backend's dtype.

        ``A``: a Resident from ``put`` (resident call: only x and y move) or a
        host (N, N) ndarray (end-to-end call: A is placed and used; the placement
        is kept for the next such call of the same size, ``kernels.placement_pool``).
        ``x``: host ndarray of shape (N,).
        """
        self._check_open()
        if isinstance(A, Resident):
            self._check_resident(A, 2)
            x = v.check_vector("x", x, A.shape[0], self.dtype)
            return self._matvec(A.handle, A.shape[0], x)
        A = v.check_matrix(A, self.dtype)
        x = v.check_vector("x", x, A.shape[0], self.dtype)
        return self._end_to_end(A, lambda handle: self._matvec(handle, A.shape[0], x))

    def vector_sum(self, a):
        """Return ``sum(a)`` as a numpy scalar of the backend's dtype.

        ``a``: a Resident from ``put`` or a host ndarray of shape (N,).
        """
        self._check_open()
        if isinstance(a, Resident):
            self._check_resident(a, 1)
            return self.dtype.type(self._vector_sum(a.handle, a.shape[0]))
        a = v.check_vector("a", a, None, self.dtype)
        return self.dtype.type(
            self._end_to_end(a, lambda handle: self._vector_sum(handle, a.shape[0]))
        )

    # -- end-to-end placement ------------------------------------------------
    def _end_to_end(self, array, compute):
        """``compute(handle)`` on ``array`` placed for this call; returns its result.

        With a placement pool the handle comes from the last call of the same
        size when there is one (refilled with ``array``) and goes back to the
        pool afterwards; a call that fails frees it and empties the pool.
        """
        handle = self._place(array)
        try:
            result = compute(handle)
        except BaseException:
            self._unplace(array, handle, failed=True)
            raise
        self._unplace(array, handle)
        return result

    def _place(self, array):
        """A handle holding ``array``: an idle pooled one refilled, else a new ``_put``."""
        if self._placements is None:
            return self._put(array)
        handle, evicted = self._placements.take(pool_key(array))
        for old in evicted:
            self._free(old)
        if handle is None:
            return self._put(array)
        try:
            self._refill(handle, array)
        except BaseException:
            self._free(handle)
            raise
        return handle

    def _unplace(self, array, handle, failed=False):
        """After an end-to-end call: keep ``handle`` in the pool, or free it."""
        if failed:
            try:  # the call's own error is what the caller must see
                self._free(handle)
                self._drain_pool()
            except Exception:
                pass
            return
        if self._placements is None:
            self._free(handle)
            return
        for old in self._placements.give(pool_key(array), handle, array.nbytes):
            self._free(old)

    def release_placements(self):
        """Free the placements kept for end-to-end calls (``close`` does it too).

        The next end-to-end call of any size then allocates its placement anew
        (a cold call).  Safe on a closed backend.
        """
        self._drain_pool()

    def _drain_pool(self):
        if self._placements is not None:
            for handle in self._placements.drain():
                self._free(handle)

    def _refill(self, handle, array):
        """Copy ``array`` into ``handle``, a placement of the same shape and dtype.

        Backends with ``pools_placements`` implement it; blocking like ``_put``.
        """
        raise NotImplementedError

    # -- checks --------------------------------------------------------------
    def _check_open(self):
        if not self._is_open:
            raise BackendClosed(
                f"backend {self.name!r} is not open: use it inside"
                " 'with get_backend(...) as be:' or call open() first"
            )

    def _check_resident(self, r, ndim):
        if not isinstance(r, Resident):
            raise TypeError(f"expected a Resident returned by put(), got {type(r).__name__}")
        if r.owner is not self or r.freed:
            raise ValueError(f"{r!r} was freed or belongs to another backend")
        if ndim is not None and len(r.shape) != ndim:
            raise ValueError(f"expected a resident {ndim}-D array, got shape {r.shape}")

    # -- what each backend implements ----------------------------------------
    @abc.abstractmethod
    def _open(self):
        """Start threads/processes/context; compile and warm the kernels."""

    @abc.abstractmethod
    def _close(self):
        """Stop everything ``_open`` started."""

    @abc.abstractmethod
    def _put(self, array):
        """Place a C-contiguous array; return a backend-private handle."""

    def _free(self, handle):  # noqa: B027 (optional hook: most backends free nothing)
        """Release a handle (default: nothing to do)."""

    @abc.abstractmethod
    def _matvec(self, handle, n, x):
        """Return y (host ndarray (n,)) for the matrix behind ``handle``."""

    @abc.abstractmethod
    def _vector_sum(self, handle, n):
        """Return the sum (float) of the vector behind ``handle``."""
