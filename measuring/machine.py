"""The hardware a run measures, and the asv machine name made from it.

A number belongs to the machine it ran on.  asv names a machine by its host name,
and the KVM guests parbench runs on all call themselves "vm" and report a generic
model string ("AMD EPYC", "Intel(R) Xeon(R) Processor"), so runs on two different
CPUs were once stored as one machine.  ``machine_name`` builds the name from what
tells CPUs apart: the vendor, the CPU family/model/stepping, a short hash of the CPU
flags (guests of one model string differ there), the usable cores, the last-level
cache and the memory, e.g. ``amd-f25m17s1-2c-l3_32m-24g-5d0e1f``.

``python -m measuring.machine`` prints that name; ``--describe`` prints the facts,
one per line; ``--cpu`` the one-line CPU description scripts/run-all.sh gives to
``asv machine --cpu`` (stored in machine.json and shown in every report header).

Facts come from /proc/cpuinfo (Linux), ``os.sched_getaffinity``, the cache sizes
in /sys/devices/system/cpu/cpu<N>/cache/index*/ and ``psutil.virtual_memory``.
Where a source is missing (another OS) the fact is "unknown", never guessed.
"""

import argparse
import hashlib
import os
import re
from dataclasses import dataclass, field

VENDORS = {"AuthenticAMD": "amd", "GenuineIntel": "intel"}
UNKNOWN = "unknown"


@dataclass(frozen=True)
class CpuFacts:
    """What identifies this machine's hardware.

    vendor (e.g. "amd"), family, model, stepping (str, as /proc/cpuinfo gives
    them), model_name, flags (tuple of str, sorted), cores (usable by this
    process), caches ({"L1d": bytes, "L2": bytes, "L3": bytes} of one instance),
    memory_bytes (total RAM).
    """

    vendor: str = UNKNOWN
    family: str = UNKNOWN
    model: str = UNKNOWN
    stepping: str = UNKNOWN
    model_name: str = UNKNOWN
    flags: tuple = ()
    cores: int = 0
    caches: dict = field(default_factory=dict)
    memory_bytes: int = 0

    @property
    def flags_hash(self):
        """The first 6 hex digits of sha256 over the sorted flags ("" without flags)."""
        if not self.flags:
            return ""
        return hashlib.sha256(" ".join(sorted(self.flags)).encode()).hexdigest()[:6]


def parse_cpuinfo(text):
    """{key: value} of the first processor block of /proc/cpuinfo's ``text``."""
    facts = {}
    for line in text.splitlines():
        if not line.strip():
            if facts:
                break
            continue
        key, _, value = line.partition(":")
        facts.setdefault(key.strip(), value.strip())
    return facts


_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)", re.IGNORECASE)


def parse_size(text):
    """Bytes of a sysfs cache size ("32K", "1024K", "32768K", "2M"); 0 if unreadable."""
    m = _SIZE.match(text or "")
    if not m:
        return 0
    return int(m.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[m.group(2).upper()]


def read_caches(cpu_dir="/sys/devices/system/cpu/cpu0/cache"):
    """{"L1d"/"L1i"/"L2"/"L3": bytes of one instance} from sysfs; {} where absent."""
    out = {}
    try:
        entries = sorted(os.listdir(cpu_dir))
    except OSError:
        return out
    for entry in entries:
        if not entry.startswith("index"):
            continue
        path = os.path.join(cpu_dir, entry)
        try:
            with open(os.path.join(path, "level")) as f:
                level = f.read().strip()
            with open(os.path.join(path, "type")) as f:
                kind = f.read().strip()
            with open(os.path.join(path, "size")) as f:
                size = parse_size(f.read())
        except OSError:
            continue
        suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
        out[f"L{level}{suffix}"] = size
    return out


def read_facts(cpuinfo_path="/proc/cpuinfo", cache_dir="/sys/devices/system/cpu/cpu0/cache"):
    """The ``CpuFacts`` of this machine (unknown where a source is missing)."""
    try:
        with open(cpuinfo_path) as f:
            info = parse_cpuinfo(f.read())
    except OSError:
        info = {}
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 0
    try:
        import psutil

        memory = int(psutil.virtual_memory().total)
    except ImportError:
        memory = 0
    vendor_id = info.get("vendor_id", "")
    return CpuFacts(
        vendor=VENDORS.get(vendor_id, vendor_id.lower() or UNKNOWN),
        family=info.get("cpu family", UNKNOWN),
        model=info.get("model", UNKNOWN),
        stepping=info.get("stepping", UNKNOWN),
        model_name=info.get("model name", UNKNOWN),
        flags=tuple(sorted(info.get("flags", "").split())),
        cores=cores,
        caches=read_caches(cache_dir),
        memory_bytes=memory,
    )


def _short_size(n):
    """32 MiB -> "32m", 1 MiB -> "1m", 512 KiB -> "512k" (for a name: no spaces)."""
    for unit, div in (("g", 2**30), ("m", 2**20), ("k", 2**10)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def last_level_cache(facts):
    """(level name, bytes) of the largest-numbered cache level, or (None, 0)."""
    levels = sorted((k for k in facts.caches if not k.endswith("i")), key=lambda k: k[1])
    if not levels:
        return None, 0
    return levels[-1], facts.caches[levels[-1]]


def machine_name(facts=None):
    """The asv machine name of ``facts`` (default: this machine's).

    ``<vendor>-f<family>m<model>s<stepping>-<cores>c-<llc>_<size>-<GiB>g-<flags hash>``:
    only [a-z0-9_-], so it is a folder name everywhere.  Two CPUs that differ in any
    of these facts get different names.
    """
    facts = read_facts() if facts is None else facts
    level, size = last_level_cache(facts)
    parts = [
        facts.vendor,
        f"f{facts.family}m{facts.model}s{facts.stepping}",
        f"{facts.cores}c",
    ]
    if level:
        parts.append(f"{level.lower()}_{_short_size(size)}")
    if facts.memory_bytes:
        parts.append(f"{round(facts.memory_bytes / 2**30)}g")
    if facts.flags_hash:
        parts.append(facts.flags_hash)
    return re.sub(r"[^a-z0-9_-]+", "", "-".join(parts).lower())


def cpu_description(facts=None):
    """One line for machine.json's "cpu": model string, family/model/stepping, flags hash
    and cache sizes (asv shows this field; the generic model string alone is not enough)."""
    facts = read_facts() if facts is None else facts
    caches = ", ".join(f"{k} {_short_size(v).upper()}" for k, v in sorted(facts.caches.items()))
    return (
        f"{facts.model_name} ({facts.vendor} family {facts.family} model {facts.model}"
        f" stepping {facts.stepping}, flags {facts.flags_hash or UNKNOWN};"
        f" {caches or 'caches unknown'})"
    )


def describe(facts=None):
    """{fact: str} for a run's settings and the report header."""
    facts = read_facts() if facts is None else facts
    return {
        "machine_name": machine_name(facts),
        "cpu": cpu_description(facts),
        "cores": str(facts.cores),
        "memory": f"{facts.memory_bytes / 2**30:.1f} GiB" if facts.memory_bytes else UNKNOWN,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m measuring.machine",
        description="Print the asv machine name made from this machine's hardware facts"
        " (vendor, CPU family/model/stepping, usable cores, last-level cache, memory,"
        " a hash of the CPU flags).",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--cpu", action="store_true", help="print the one-line CPU description")
    what.add_argument("--describe", action="store_true", help="print every fact, one per line")
    args = parser.parse_args(argv)
    facts = read_facts()
    if args.cpu:
        print(cpu_description(facts))
    elif args.describe:
        for key, value in describe(facts).items():
            print(f"{key}: {value}")
    else:
        print(machine_name(facts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
