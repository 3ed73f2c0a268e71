"""measuring.sizes: the part of the fixed grid of N a machine runs (to 4x its last-level cache)."""

import json

from measuring import pairs, sizes
from measuring.settings import SIZES, Settings

MIB = 2**20


def test_the_grid_is_run_up_to_the_first_n_that_moves_4x_the_last_level_cache():
    grid = SIZES["default"]["sum"]  # 2**10 .. 2**26, float64: 8 KiB .. 512 MiB
    # 32 MiB of L3: 2**24 doubles are 128 MiB = 4 x 32 MiB, the first N at the rule
    assert sizes.run_sizes(grid, "sum", 32 * MIB) == [n for n in grid if n <= 2**24]
    # one byte more of cache and 2**24 falls short: the next N of the grid is run too
    assert sizes.run_sizes(grid, "sum", 32 * MIB + 1)[-1] == 2**26
    # matvec moves N*N + 2N items: N=4096 is 128 MiB and a little more
    assert sizes.run_sizes(SIZES["default"]["matvec"], "matvec", 32 * MIB)[-1] == 4096
    # float32 halves the bytes: one N more is needed
    assert sizes.run_sizes(grid, "sum", 32 * MIB, itemsize=4)[-1] == 2**26


def test_a_cache_too_large_for_the_grid_or_unknown_keeps_the_whole_grid():
    grid = SIZES["default"]["matvec"]
    assert sizes.run_sizes(grid, "matvec", 480 * MIB) == grid  # a VM reporting a shared L3
    assert sizes.run_sizes(grid, "matvec", 0) == grid


def test_full_runs_the_whole_grid_and_default_the_machines_part():
    small = Settings(size_set="default").run_sizes("sum", llc_bytes=MIB)
    assert small[-1] == 2**20 and small == SIZES["default"]["sum"][: len(small)]
    assert Settings(size_set="full").run_sizes("sum") == SIZES["default"]["sum"]
    assert Settings(size_set="full").sizes("sum") == Settings().sizes("sum")


def _cache_dir(root, cpu, index, level, kind, size, shared):
    d = root / f"cpu{cpu}" / "cache" / f"index{index}"
    d.mkdir(parents=True)
    for name, value in (("level", level), ("type", kind), ("size", size)):
        (d / name).write_text(f"{value}\n")
    (d / "shared_cpu_list").write_text(f"{shared}\n")


def test_the_last_level_is_summed_over_the_instances_the_usable_cpus_have(tmp_path, monkeypatch):
    monkeypatch.setattr(sizes.os, "sched_getaffinity", lambda pid: {0, 1, 2})
    for cpu in (0, 1, 2):
        _cache_dir(tmp_path, cpu, 0, 1, "Instruction", "32K", cpu)
        _cache_dir(tmp_path, cpu, 1, 2, "Unified", "1024K", cpu)
        # cpus 0 and 1 share one 32 MiB L3, cpu 2 has another
        _cache_dir(tmp_path, cpu, 2, 3, "Unified", "32768K", "0-1" if cpu < 2 else "2-3")
    sizes.last_level_bytes.cache_clear()
    try:
        assert sizes.last_level_bytes(str(tmp_path)) == 64 * MIB
        assert sizes.last_level_bytes(str(tmp_path / "none")) == 0
    finally:
        sizes.last_level_bytes.cache_clear()


def test_the_paired_measurement_records_why_the_grids_larger_n_were_not_run():
    plan = {
        "workers": 1,
        "dtype": "float64",
        "backends": ["numpy"],
        "grid": {"matvec": [16], "sum": [16, 4096, 2**16]},
        "sizes": {"matvec": [16], "sum": [16, 4096]},
        "last_level_cache_bytes": 8192,
        "rounds": 1,
        "seed_rounds": 1,
        "seeds": [],
        "only": [["sum", "numpy", 16]],
    }
    rec = pairs.measure(plan)
    why = rec.skips[json.dumps(pairs.key("speedup", "sum", "resident", "numpy", 2**16))]
    assert "N=65536 not run: N=4096 already moves at least 4x the 0.0078125 MiB" in why
    assert json.dumps(pairs.key("speedup", "sum", "resident", "numpy", 4096)) not in rec.skips
