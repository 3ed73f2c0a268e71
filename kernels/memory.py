"""How much memory a benchmark case needs, and whether it fits here.

A case is (backend, kernel, N, dtype, workers, resident or end-to-end).  What it
needs is counted in parts, so a skip can say why:

* the caller's host arrays (A and x, or a), and the float64 temporary that
  ``kernels.verify.make_*`` makes before converting to float32;
* the result and the verification temporaries (``kernels.verify`` converts A
  to float64 for the reference when the dtype is float32);
* what the backend allocates besides the caller's arrays: its copies of the
  placed data (device buffers, shared memory, per-rank row blocks), its
  scratch buffers and its extra processes (see ``Backend.memory_parts``).

An end-to-end call places and uses the data inside each call, so at its peak
it holds the same copies as a resident placement: both modes need the same
bytes (``resident`` is kept in the signature so a backend could differ).  The
placement pool (``kernels.placement_pool``) keeps that copy after the call for
the next call of the same size, and releases it before a call of another size
allocates, so it never holds more than the copy counted here.

What is available: ``psutil.virtual_memory().available``, lowered by the
environment variable ``PARBENCH_MEMORY_LIMIT`` (bytes, or a number with a
unit: ``500MB``, ``2GiB``, ``1.5G``; decimal ``kB``/``MB``/``GB``/``TB`` and
binary ``KiB``/``MiB``/``GiB``/``TiB``); shared-memory parts must also fit the
free space of ``/dev/shm``; device buffers must fit the device's memory and
its largest single buffer (``Backend.memory_limits()``, known once the backend
is open).  Device buffers are counted in host memory too: PoCL's CPU device,
the default, keeps them there (for a discrete GPU this over-counts the host).

Use::

    from kernels.memory import check_fits, InsufficientMemory
    check_fits("mpi", "matvec", 8192, "float64", workers=2)  # raises if it won't fit
"""

import os
import re
import shutil

import numpy as np

from . import validate as v
from .facts import check_kernel

#: environment variable that lowers the memory considered available
LIMIT_ENV = "PARBENCH_MEMORY_LIMIT"
#: where multiprocessing.shared_memory segments live (a tmpfs, often smaller than RAM)
SHM_DIR = "/dev/shm"
#: Resident memory of one spawned worker process or MPI rank (Python, numpy,
#: BLAS, mpi4py).  Measured here: RSS 36 MB (multiprocessing worker) and 45 MB
#: (MPI rank); rounded up.
PROCESS_BYTES = 64 * 2**20
#: headroom added to every estimate, in percent of the itemised parts
MARGIN_PERCENT = 5
#: rows of |A| that kernels.verify.matvec_tolerance converts at once (2**22 elements)
_TOLERANCE_CHUNK = 1 << 22

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


class InsufficientMemory(MemoryError):
    """A case needs more memory than is available; the message says what and why.

    Attributes: ``need`` (a ``Need``), ``available`` (bytes of host memory
    considered available), ``shm_free`` (bytes free in /dev/shm or None).
    """

    def __init__(self, message, need=None, available=None, shm_free=None):
        super().__init__(message)
        self.need = need
        self.available = available
        self.shm_free = shm_free


def parse_bytes(text):
    """``"500MB"`` -> 500000000; ``"2GiB"`` -> 2147483648; ``"1e9"`` -> 10**9.

    Raises ValueError for anything else (negative, unknown unit, not a number).
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise ValueError(
            f"cannot read {text!r} as a number of bytes: use an integer or a"
            " number with a unit (kB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. 500MB"
        )
    return int(float(m.group(1)) * _UNITS[unit])


def fmt_bytes(n):
    """Human-readable bytes: '1.50 GB', '12.0 MB', '800 B' (decimal units)."""
    n = float(n)
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


class Need:
    """Bytes a case needs, by part.

    ``parts``: list of (what, bytes, where) with where ``"host"``, ``"shm"``
    (shared memory), ``"device"`` (device buffers) or ``"process"`` (extra
    worker processes); every part counts in ``host`` (/dev/shm is RAM, PoCL's
    device is the CPU).  ``case``: a short description of the case.
    """

    def __init__(self, case, parts):
        self.case = case
        self.parts = [(what, int(nbytes), where) for what, nbytes, where in parts if nbytes > 0]

    @property
    def host(self):
        return sum(b for _, b, _ in self.parts)

    def total(self, where):
        """Bytes of the parts in ``where`` ("shm", "device", "process")."""
        return sum(b for _, b, w in self.parts if w == where)

    @property
    def shm(self):
        return self.total("shm")

    @property
    def largest_device_buffer(self):
        return max([b for _, b, w in self.parts if w == "device"], default=0)

    def describe(self):
        """'what 1.2 GB + what 3 MB + ...'"""
        return " + ".join(f"{what} {fmt_bytes(b)}" for what, b, _ in self.parts) or "nothing"

    def __repr__(self):
        return f"<Need {self.case}: {fmt_bytes(self.host)} ({self.describe()})>"


def need(backend, kernel, n, dtype="float64", workers=None, resident=True):
    """Return the ``Need`` of one benchmark case (see the module docstring).

    ``backend``: a registry name, a Backend subclass or instance; ``kernel``:
    "matvec" or "sum"; ``n``: N >= 0; ``workers``: int >= 1 or None (all
    cores).  Raises ValueError/TypeError for bad arguments, BackendUnavailable
    if the backend's module cannot be imported here.
    """
    from .base import Backend
    from .registry import backend_class

    if isinstance(backend, str):
        cls = backend_class(backend)
    elif isinstance(backend, Backend):
        cls = type(backend)
    else:
        cls = backend
    check_kernel(kernel)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    n = int(n)
    dt = v.check_dtype(dtype)
    workers = v.check_workers(workers)
    s = dt.itemsize
    mode = "resident" if resident else "end-to-end"
    case = f"{kernel} N={n} {dt.name} on {cls.name} ({workers} workers, {mode})"
    if kernel == "matvec":
        host = [("host A and x", s * (n * n + n), "host")]
        # generation: float64 random numbers first, then astype(float32)
        make = 8 * (n * n + n) if s != 8 else 0
        # verification: float64 copy of A (float32 only), one chunk of |A| in the
        # dtype and in float64, y, the reference and the error vector
        chunk = min(n * n, max(_TOLERANCE_CHUNK, n))
        check = (8 * n * n if s != 8 else 0) + (s + 8) * chunk + 8 * 4 * n
        result = s * n
    else:
        host = [("host a", s * n, "host")]
        make = 8 * n if s != 8 else 0
        check = s * n  # |a| in sum_tolerance
        result = 0
    parts = host + [("result and verification temporaries", max(make, check) + result, "host")]
    parts += cls.memory_parts(kernel, n, dt, workers, resident)
    # Temporaries not itemised above (the RNG's buffers, the timing loop).  Measured
    # with tracemalloc on suite setups, N up to 4096 (matvec) and 2**24 (sum): the
    # peak was at most 0.4% above the parts above.
    margin = (sum(b for _, b, where in parts if where != "process") * MARGIN_PERCENT) // 100
    return Need(case, parts + [(f"margin {MARGIN_PERCENT}%", margin, "host")])


def memory_limit():
    """(bytes, how) of host memory considered available.

    ``psutil.virtual_memory().available``, or ``PARBENCH_MEMORY_LIMIT`` when
    that is lower.  Raises ValueError for an unreadable PARBENCH_MEMORY_LIMIT.
    """
    import psutil

    avail = int(psutil.virtual_memory().available)
    how = f"{fmt_bytes(avail)} available (psutil.virtual_memory().available)"
    raw = os.environ.get(LIMIT_ENV, "").strip()
    if raw:
        try:
            limit = parse_bytes(raw)
        except ValueError as exc:
            raise ValueError(f"{LIMIT_ENV}={raw!r}: {exc}") from None
        if limit < avail:
            avail = limit
            how = f"{fmt_bytes(limit)} allowed ({LIMIT_ENV}={raw})"
    return avail, how


def shm_free():
    """Free bytes in /dev/shm, or None where there is no /dev/shm."""
    try:
        return int(shutil.disk_usage(SHM_DIR).free)
    except OSError:
        return None


def check_fits(backend, kernel, n, dtype="float64", workers=None, resident=True, started=False):
    """Return the case's ``Need`` if it fits; raise ``InsufficientMemory`` if not.

    Arguments as for ``need``.  ``started``: ``backend`` is open already, so
    its worker processes run and are counted in what is available (their
    share is not counted again), and its ``memory_limits()`` are checked.
    The message names the case, what it needs (by part) and what is available.
    """
    nd = need(backend, kernel, n, dtype, workers, resident)
    if started:
        nd = Need(nd.case, [p for p in nd.parts if p[2] != "process"])
    avail, how = memory_limit()
    free = shm_free() if nd.shm else None
    problems = []
    if nd.host > avail:
        problems.append(f"needs {fmt_bytes(nd.host)} ({nd.describe()}) but {how}")
    if free is not None and nd.shm > free:
        problems.append(
            f"needs {fmt_bytes(nd.shm)} of shared memory but {SHM_DIR} has {fmt_bytes(free)} free"
        )
    limits = backend.memory_limits() if started and hasattr(backend, "memory_limits") else {}
    if "device" in limits and nd.total("device") > limits["device"]:
        problems.append(
            f"needs {fmt_bytes(nd.total('device'))} of device memory but the device"
            f" has {fmt_bytes(limits['device'])}"
        )
    if "buffer" in limits and nd.largest_device_buffer > limits["buffer"]:
        problems.append(
            f"needs a device buffer of {fmt_bytes(nd.largest_device_buffer)} but the"
            f" device's largest is {fmt_bytes(limits['buffer'])}"
        )
    if problems:
        raise InsufficientMemory(
            f"does not fit in memory: {nd.case} " + "; and ".join(problems),
            need=nd,
            available=avail,
            shm_free=free,
        )
    return nd
