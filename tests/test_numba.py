"""The numba backend (kernels/numba): its serial switch, its on-disk cache, when it cannot run.

Cross-backend correctness, both sides of the serial switch included, is in
test_kernels.py.
"""

import os
import subprocess
import sys

import pytest

from .helpers import check_switch_sizes_straddle, unavailable


def test_serial_switch_sizes_match_the_backend():
    """test_kernels.py's sizes straddle numba's switch between one thread and all workers."""
    from kernels.numba import backend as numba_backend

    check_switch_sizes_straddle(numba_backend.SERIAL_BELOW)


_NUMBA_CACHE_PROBE = r"""
import sys, numpy as np, numba
from kernels import get_backend
from kernels.numba import backend as numba_backend
if sys.argv[1] == "fill":          # compile both variants (serial first) into the cache
    with get_backend("numba", workers=2) as be:
        be.matvec(np.ones((3, 3)), np.ones(3))
        be.matvec(np.ones((600, 600)), np.ones(600))
else:                              # a new process: call only the parallel kernel
    _, (matvec, _), _ = numba_backend._compile()
    n = 600
    matvec(np.ones((n, n)), np.ones(n), np.empty(n),
           np.array([0, n // 2]), np.array([n // 2, n]))
    print("threading layer:", numba.threading_layer())   # raises if nothing ran in parallel
"""


def test_numba_parallel_kernel_stays_parallel_when_loaded_from_cache(tmp_path):
    """The serial and parallel numba variants must not share an on-disk cache entry.

    numba indexes its cache by function, not by the parallel flag: with one
    function decorated twice, a second process loaded the serial code for the
    parallel kernel.  ``numba.threading_layer()`` is only set once a parallel
    region has run, so it tells without timing anything.
    """
    pytest.importorskip("numba")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    for step in ("fill", "load"):
        r = subprocess.run(
            [sys.executable, "-c", _NUMBA_CACHE_PROBE, step],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr[-2000:]
    assert "threading layer:" in r.stdout
    assert any(tmp_path.rglob("*.nbi")), "nothing was cached: the test proves nothing"


# ------------------------------------------------------------- unavailable


@pytest.mark.timeout(60)
def test_numba_missing(monkeypatch):
    from kernels.numba import backend as numba_backend

    monkeypatch.setattr(numba_backend, "_compiled", None)
    monkeypatch.setitem(sys.modules, "numba", None)
    assert unavailable("numba").startswith("numba cannot be imported")


@pytest.mark.timeout(60)
def test_numba_more_workers_than_its_threads():
    numba = pytest.importorskip("numba")
    n = numba.config.NUMBA_NUM_THREADS
    assert f"NUMBA_NUM_THREADS={n} < workers={n + 1}" in unavailable("numba", workers=n + 1)
