"""kernels/compiled/block_matvec.py: the row-block matvec of multiprocessing workers and MPI
ranks, both implementations (the compiled kernels.compiled.openmp_loops and the numpy fallback)."""

import numpy as np
import pytest

from kernels.compiled import block_matvec as _block_matvec
from kernels.verify import check_matvec, make_matvec_inputs


@pytest.mark.parametrize("implementation", ["as built", "numpy fallback"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rows, n", [(0, 5), (3, 0), (1, 1), (3, 7), (4, 8), (7, 1025), (513, 64)])
def test_block_matvec_equals_numpy(monkeypatch, implementation, dtype, rows, n):
    if implementation == "numpy fallback":
        monkeypatch.setattr(_block_matvec, "openmp_loops", None)
    elif _block_matvec.openmp_loops is None:
        pytest.skip("kernels.compiled.openmp_loops is not built: only the fallback runs here")
    A, x = make_matvec_inputs(max(rows, n), dtype, seed=rows + n)
    block, x = np.ascontiguousarray(A[:rows, :n]), x[:n].copy()
    out = np.full(rows, np.nan, dtype)
    assert _block_matvec.block_matvec(block, x, out) is None
    if rows:
        check_matvec(out, block, x, implementation)  # every row written, none left NaN


def test_description_names_the_implementation_that_runs():
    built = _block_matvec.openmp_loops is not None
    assert _block_matvec.DESCRIPTION.startswith(
        "kernels.compiled.openmp_loops" if built else "numpy.matmul"
    )
