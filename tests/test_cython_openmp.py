"""The cython-openmp backend (kernels/cython_openmp): its serial switch, and the extension
kernels.compiled.openmp_loops not built.

Cross-backend correctness, both sides of the serial switch included, is in
test_kernels.py; the compiled code shared with other backends in test_compiled.py.
"""

import re
import sys

import pytest

import kernels

from .helpers import check_switch_sizes_straddle, run_python_code, unavailable


def test_serial_switch_sizes_match_the_backend():
    """test_kernels.py's sizes straddle cython-openmp's switch between one thread and all."""
    from kernels.cython_openmp import backend as cython_backend

    check_switch_sizes_straddle(cython_backend.SERIAL_BELOW)


# ------------------------------------------------------------- unavailable


@pytest.mark.timeout(60)
def test_cython_extension_not_built(monkeypatch):
    monkeypatch.setitem(sys.modules, "kernels.compiled.openmp_loops", None)
    monkeypatch.delattr(kernels.compiled, "openmp_loops", raising=False)
    msg = unavailable("cython-openmp")
    assert "the Cython+OpenMP extension kernels.compiled.openmp_loops is not built" in msg
    assert "build_ext --inplace" in msg


@pytest.mark.timeout(60)
def test_cli_table_without_the_cython_extension():
    """`python -m kernels` lists cython-openmp as unavailable, with the reason."""
    code = (
        "import sys, runpy; sys.modules['kernels.compiled.openmp_loops'] = None;"
        " sys.argv = ['kernels', '--workers', '1'];"
        " runpy.run_module('kernels', run_name='__main__')"
    )
    done = run_python_code(code, {})
    assert re.search(
        r"^cython-openmp +UNAVAILABLE +the Cython\+OpenMP extension kernels\.compiled\.openmp_loops"
        r" is not built",
        done.stdout,
        re.M,
    ), done.stdout + done.stderr
    assert done.returncode == 1
