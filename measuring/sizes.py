"""Which N of the fixed grid a machine runs: every memory level, up to 4x its last-level cache.

asv's parameters are shared by every machine's results, so the grid of N is one
fixed list of powers of 2 (``measuring.settings.SIZES``).  A machine runs the part
of it that spans its memory levels: up to and including the first N whose working
set (the bytes one call moves at the least, ``kernels.facts.bytes_moved``) is at
least ``FACTOR`` times the last-level cache of the CPUs this process may use.
That is the STREAM rule (McCalpin, STREAM's run rules: "each array must be at
least 4 times the size of the sum of all the last-level caches used in the run"),
under which no cache level holds the data, so the time is memory's.  Larger N
are memory-bound like that one and add no level, only minutes (on a 2-core VM
with a 32 MiB L3 one paired measuring process took 3 min 20 s over the whole grid,
84-89 s up to 128 MiB with each backend opened once), so they are skipped with
the reason below.
``PARBENCH_SIZES=full`` runs the whole grid on any machine.

The last-level cache is what sysfs reports, summed over the distinct cache
instances the usable CPUs share.  A VM may report a cache it only shares with
other guests (Intel Xeon VMs here report 480 MiB); the rule then keeps the
whole grid, which is what the run did before this rule existed.
"""

import functools
import glob
import os

from kernels.facts import bytes_moved

from .machine import parse_size

#: a working set of at least this many times the last-level cache is memory's
FACTOR = 4
#: the size sets that run the whole grid, whatever the cache
UNCAPPED = ("full",)


class BeyondLastLevel(Exception):
    """An N the run skips: a smaller N of the grid already reaches main memory."""


def run_sizes(grid, kernel, llc_bytes, itemsize=8):
    """The N of ``grid`` (ascending) this machine runs.

    Every N up to and including the first whose working set is at least
    ``FACTOR * llc_bytes`` bytes; the whole grid when none reaches it or the
    cache is unknown (``llc_bytes`` 0).  ``itemsize``: bytes per element (8 for
    float64).
    """
    out = []
    for n in grid:
        out.append(n)
        if llc_bytes and bytes_moved(kernel, n, itemsize) >= FACTOR * llc_bytes:
            break
    return out


def beyond_reason(kernel, n, largest, llc_bytes):
    """Why ``n`` is skipped: the sentence asv's skip and the report carry."""
    return (
        f"{kernel} N={n} not run: N={largest} already moves at least {FACTOR}x the"
        f" {llc_bytes / 2**20:g} MiB last-level cache, so larger N are memory-bound"
        " like it (PARBENCH_SIZES=full runs them)"
    )


@functools.lru_cache(maxsize=1)
def last_level_bytes(root="/sys/devices/system/cpu"):
    """Bytes of last-level cache the usable CPUs have: the highest data or unified level
    of sysfs, summed over its distinct instances among ``os.sched_getaffinity(0)``;
    0 when sysfs does not tell."""
    best_level, instances = 0, {}
    for cpu in sorted(os.sched_getaffinity(0)):
        for index in glob.glob(os.path.join(root, f"cpu{cpu}", "cache", "index*")):
            try:
                level = int(_read(index, "level"))
                if _read(index, "type") == "Instruction":
                    continue
                size = parse_size(_read(index, "size"))
                ident = _read(index, "shared_cpu_list")
            except (OSError, ValueError):
                continue
            if level > best_level:
                best_level, instances = level, {}
            if level == best_level:
                instances[ident] = size
    return sum(instances.values())


def _read(folder, name):
    with open(os.path.join(folder, name)) as f:
        return f.read().strip()
