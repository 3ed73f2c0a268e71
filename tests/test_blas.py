"""kernels/blas.py: the run's settings say which BLAS code path ran.

OPENBLAS_CORETYPE, set on some machines, forces an older and slower OpenBLAS
kernel; ``blas_description`` records the kernel and the variable.
"""

import os
import subprocess
import sys

import pytest

from kernels.blas import blas_description

PROBE = "from kernels.blas import blas_description; print(blas_description())"


def _describe(**env):
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    r = subprocess.run(
        [sys.executable, "-c", "import numpy; " + PROBE],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_blas_description_names_the_kernel_openblas_picked():
    text = blas_description()
    if "openblas" not in text:
        pytest.skip(f"numpy is not linked to OpenBLAS here: {text}")
    assert "threads, kernel " in text


def test_a_forced_openblas_coretype_is_recorded_and_shows_in_the_kernel():
    if "openblas" not in blas_description():
        pytest.skip("numpy is not linked to OpenBLAS here")
    forced = _describe(OPENBLAS_CORETYPE="Haswell")
    assert "kernel Haswell" in forced and forced.endswith("OPENBLAS_CORETYPE=Haswell"), forced
    assert "OPENBLAS_CORETYPE" not in _describe()
