"""Ping-pong between two MPI ranks (kernels/mpi/pingpong.py, benchmarks/pingpong.py).

Spawned peer on this host (what asv measures), the check that the echoed
message is the one sent (and that it can fail), buffer faster than pickle at a
large message, the launcher-placed run writing its JSON, and the asv size sets.
Across hosts: tests/test_testcluster.py.
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from measuring.settings import SIZES

from .helpers import benchmarks_module

pytestmark = pytest.mark.usefixtures("remove_leaked_mpich_segments")
MPIEXEC = pathlib.Path(sys.executable).with_name("mpiexec")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _peer():
    pytest.importorskip("mpi4py.MPI")
    from kernels.mpi.pingpong import SpawnedPeer

    return SpawnedPeer()


@pytest.mark.timeout(120)
def test_spawned_peer_times_both_transports_and_buffer_beats_pickle_at_4_mib():
    with _peer() as peer:
        for nbytes in (1, 8, 251, 4096):
            for transport in ("pickle", "buffer"):
                times = peer.one_way_times(nbytes, transport, budget=0.02)
                assert len(times) == 3 and all(0 < t < 0.1 for t in times), (nbytes, times)
        big = 4 * 2**20
        pickle_s = min(peer.one_way_times(big, "pickle", budget=0.2))
        buffer_s = min(peer.one_way_times(big, "buffer", budget=0.2))
    # pickle copies the 4 MiB twice more and allocates per message: measured 5-10x here
    assert buffer_s < pickle_s, (buffer_s, pickle_s)


@pytest.mark.timeout(120)
def test_a_message_that_comes_back_different_is_an_error(monkeypatch):
    from kernels.mpi import pingpong

    with _peer() as peer:
        peer.check(4096, "buffer")  # the real message comes back equal
        rng = np.random.default_rng(0)
        # every call makes another message: the one sent differs from the one expected
        monkeypatch.setattr(pingpong, "_message", lambda n: rng.integers(0, 256, n, dtype=np.uint8))
        for transport in ("buffer", "pickle"):
            with pytest.raises(ValueError, match="echoed message differs"):
                peer.check(4096, transport)


def test_the_rank_program_passes_the_spawn_preflight():
    done = subprocess.run(
        [sys.executable, "-m", "kernels.mpi.pingpong", "--check"], cwd=ROOT, timeout=60
    )
    assert done.returncode == 0


@pytest.mark.skipif(not MPIEXEC.exists(), reason=f"no mpiexec beside {sys.executable}")
@pytest.mark.timeout(120)
def test_launched_pingpong_writes_series_and_layout(tmp_path):
    out = tmp_path / "pp.json"
    argv = [str(MPIEXEC), "-n", "2", sys.executable, "-m", "kernels.mpi.pingpong"]
    argv += ["--out", str(out), "--sizes", "8,65536", "--budget", "0.02"]
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=90, start_new_session=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert len(data["layout"]) == 2 and data["layout"][0]["pid"] != data["layout"][1]["pid"]
    rows = {(r["bytes"], r["transport"]): r for r in data["rows"]}
    assert set(rows) == {(n, t) for n in (8, 65536) for t in ("pickle", "buffer")}
    for (nbytes, _), r in rows.items():
        assert r["one_way_s"] > 0
        assert r["bandwidth_GBps"] == pytest.approx(nbytes / r["one_way_s"] / 1e9)


def test_launched_pingpong_refuses_other_than_two_ranks(tmp_path):
    if not MPIEXEC.exists():
        pytest.skip(f"no mpiexec beside {sys.executable}")
    argv = [str(MPIEXEC), "-n", "3", sys.executable, "-m", "kernels.mpi.pingpong"]
    done = subprocess.run(
        [*argv, "--out", str(tmp_path / "x.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        start_new_session=True,
    )
    assert done.returncode != 0 and "exactly 2 ranks, not 3" in done.stderr


def test_asv_size_sets_span_8_bytes_to_64_mib_and_quick_is_small(monkeypatch):
    bench = benchmarks_module("pingpong")
    default = bench.SIZES["default"]
    assert min(default["latency"]) == 8 and max(default["bandwidth"]) == 64 * 2**20
    quick = bench.SIZES["quick"]
    assert max(quick["latency"] + quick["bandwidth"]) <= 65536
    assert set(bench.SIZES) == set(SIZES)


class _FakeRun:
    """What benchmarks.report.pingpong reads of a results.Run."""

    machine, commit = "m", "0123456789abcdef"

    def __init__(self, latency, bandwidth):
        self._data = {
            ("PingPongLatency", "track_one_way_time"): latency,
            ("PingPongBandwidth", "track_bandwidth"): bandwidth,
        }

    def entries(self, cls, method, names=None):
        return [
            ({"transport": t, "bytes": n}, v) for (t, n), v in self._data[(cls, method)].items()
        ]


def test_report_section_and_figure_of_the_asv_pingpong(tmp_path):
    pytest.importorskip("matplotlib")
    from benchmarks.report import pingpong as report

    assert (
        report.markdown(_FakeRun({}, {})) == ""
        and report.save(_FakeRun({}, {}), tmp_path, ["png"]) == []
    )
    lat = {("pickle", 8): 12e-6, ("buffer", 8): 2e-6, ("pickle", 512): float("nan")}
    bw = {("pickle", 2**26): 0.5, ("buffer", 2**26): 8.0}
    text = report.markdown(_FakeRun(lat, bw))
    assert "| 8 B | 12.00 us | 2.00 us | 6.0 |" in text  # pickle / buffer time
    assert "| 64 MiB | 0.500 GB/s | 8.000 GB/s | 16.0 |" in text  # buffer / pickle bandwidth
    assert "512 B" not in text  # a skipped (NaN) case is left out
    paths = report.save(_FakeRun(lat, bw), str(tmp_path), ["png", "svg"])
    assert [pathlib.Path(p).name for p in paths] == ["pingpong.png", "pingpong.svg"]
    assert all(pathlib.Path(p).stat().st_size > 1000 for p in paths)
