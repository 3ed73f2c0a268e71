"""The kernel facts, written once: kernel names, titles, operand sizes, bytes per call.

Every part of parbench that needs one of these reads it from here: the memory
guard (``kernels.memory``), the roof benchmarks (``benchmarks.roof``) and the
report (``benchmarks.report``), which imports nothing else of ``kernels``.

* ``KERNELS``: the kernel names, in the order of every table and figure.
* ``BACKENDS``: the backend registry names, in registry order (``kernels.registry``).
* ``operand_elements(kernel, n)``: elements of the operand a backend places:
  A (N, N) for matvec, a (N,) for the sum.
* ``operand_name(kernel)``, ``vector_bytes(kernel, n, itemsize)``: "A" or "a";
  bytes of x and y (matvec) a backend keeps next to the operand (0 for the sum).
* ``bytes_moved(kernel, n, itemsize)``: bytes one call reads and writes at the
  least, the figure every GB/s is computed from: matvec ``itemsize*(N*N + 2N)``
  (A and x read, y written), sum ``itemsize*N``.
"""

from .registry import BACKENDS

KERNELS = ("matvec", "sum")
TITLES = {"matvec": "matvec (y = A @ x)", "sum": "vector sum (s = sum(a))"}

__all__ = [
    "BACKENDS",
    "KERNELS",
    "TITLES",
    "check_kernel",
    "operand_elements",
    "operand_bytes",
    "operand_name",
    "vector_bytes",
    "bytes_moved",
]


def check_kernel(kernel):
    """Return ``kernel`` if it is "matvec" or "sum"; ValueError otherwise."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be {' or '.join(map(repr, KERNELS))}, got {kernel!r}")
    return kernel


def operand_elements(kernel, n):
    """Elements of the placed operand: N*N (matvec's A) or N (the sum's a)."""
    return n * n if check_kernel(kernel) == "matvec" else n


def operand_bytes(kernel, n, itemsize):
    """Bytes of the placed operand (``operand_elements`` x ``itemsize``)."""
    return itemsize * operand_elements(kernel, n)


def operand_name(kernel):
    """The placed operand's name in messages: "A" (matvec) or "a" (sum)."""
    return "A" if check_kernel(kernel) == "matvec" else "a"


def vector_bytes(kernel, n, itemsize):
    """Bytes of the per-call vectors a backend keeps next to the operand: x and y (matvec), 0."""
    return 2 * itemsize * n if check_kernel(kernel) == "matvec" else 0


def bytes_moved(kernel, n, itemsize):
    """Bytes one call moves at the least: itemsize*(N*N + 2N) for matvec, itemsize*N for sum."""
    return itemsize * (n * n + 2 * n if check_kernel(kernel) == "matvec" else n)
