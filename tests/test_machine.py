"""measuring.machine: the asv machine name from hardware facts (faked here, and this machine's)."""

import re
import subprocess
import sys
from dataclasses import replace

from measuring.machine import (
    CpuFacts,
    cpu_description,
    machine_name,
    parse_cpuinfo,
    parse_size,
    read_caches,
    read_facts,
)

from .report_data import REPO

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 106
model name\t: Intel(R) Xeon(R) Processor
stepping\t: 6
flags\t\t: fpu sse2 avx2 avx512f

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: something else
"""

XEON = CpuFacts(
    vendor="intel",
    family="6",
    model="106",
    stepping="6",
    model_name="Intel(R) Xeon(R) Processor",
    flags=("avx2", "avx512f", "fpu", "sse2"),
    cores=2,
    caches={"L1d": 48 * 2**10, "L2": 2 * 2**20, "L3": 480 * 2**20},
    memory_bytes=25275990016,
)


def test_cpuinfo_first_processor_block():
    facts = parse_cpuinfo(CPUINFO)
    assert facts["vendor_id"] == "GenuineIntel" and facts["model"] == "106"
    assert facts["model name"] == "Intel(R) Xeon(R) Processor"
    assert facts["flags"].split() == ["fpu", "sse2", "avx2", "avx512f"]


def test_sizes():
    assert parse_size("32K\n") == 32 * 2**10
    assert parse_size("32768K") == 32 * 2**20
    assert parse_size("2M") == 2 * 2**20
    assert parse_size("") == 0 and parse_size("big") == 0


def test_caches_from_sysfs_layout(tmp_path):
    for i, (level, kind, size) in enumerate(
        [
            ("1", "Data", "32K"),
            ("1", "Instruction", "32K"),
            ("2", "Unified", "1024K"),
            ("3", "Unified", "32768K"),
        ]
    ):
        d = tmp_path / f"index{i}"
        d.mkdir()
        (d / "level").write_text(level + "\n")
        (d / "type").write_text(kind + "\n")
        (d / "size").write_text(size + "\n")
    (tmp_path / "uevent").write_text("")
    assert read_caches(str(tmp_path)) == {
        "L1d": 32 * 2**10,
        "L1i": 32 * 2**10,
        "L2": 2**20,
        "L3": 32 * 2**20,
    }
    assert read_caches(str(tmp_path / "absent")) == {}


def test_name_from_faked_facts():
    assert machine_name(XEON) == "intel-f6m106s6-2c-l3_480m-24g-" + XEON.flags_hash
    assert re.fullmatch(r"[a-z0-9_-]+", machine_name(XEON))


def test_two_guests_with_one_model_string_get_two_names():
    """These KVM guests share a generic model string; their flags tell them apart."""
    other = replace(XEON, flags=XEON.flags + ("avx512_vnni",))
    assert other.model_name == XEON.model_name
    assert machine_name(other) != machine_name(XEON)
    # and every other fact of the name separates machines too
    for change in (
        {"vendor": "amd"},
        {"family": "25"},
        {"model": "17"},
        {"stepping": "1"},
        {"cores": 4},
        {"caches": {"L3": 32 * 2**20}},
        {"memory_bytes": 2 * XEON.memory_bytes},
    ):
        assert machine_name(replace(XEON, **change)) != machine_name(XEON), change


def test_description_names_the_cpu():
    text = cpu_description(XEON)
    assert text.startswith("Intel(R) Xeon(R) Processor (intel family 6 model 106 stepping 6")
    assert XEON.flags_hash in text and "L3 480M" in text


def test_this_machine(tmp_path):
    facts = read_facts()
    assert facts.cores >= 1 and facts.memory_bytes > 0
    proc = subprocess.run(
        [sys.executable, "-m", "measuring.machine"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == machine_name(facts)
    missing = read_facts(str(tmp_path / "no-cpuinfo"), str(tmp_path / "no-cache"))
    assert missing.vendor == "unknown" and missing.caches == {}
    assert machine_name(missing).startswith("unknown-funknownmunknownsunknown-")
