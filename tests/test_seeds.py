"""The seeds' plain versions (kernels/seeds) equal numpy and leave no process behind."""

import time

import numpy as np
import pytest

from kernels.seeds import SEED_VERSIONS, seed_version, variants
from kernels.verify import check_matvec, check_sum, make_inputs

from .helpers import live_children, open_or_skip

SIZES = (0, 1, 3, 1025)
#: helpers that live as long as the interpreter, not a variant: MPICH's process
#: manager (see kernels.mpi.spawn) and multiprocessing's resource tracker
PER_INTERPRETER = (
    "mpiexec",
    "mpiexec.gforker",
    "hydra_pmi_proxy",
    "multiprocessing.resource_tracker",
)


def _opened(request):
    sv = open_or_skip(request.param, make=seed_version)
    request.addfinalizer(sv.close)
    return sv


@pytest.fixture(scope="module", params=list(SEED_VERSIONS))
def variant(request):
    return _opened(request)


@pytest.fixture(scope="module", params=variants("matvec"))
def matvec_variant(request):
    return _opened(request)


@pytest.fixture(scope="module", params=variants("sum"))
def sum_variant(request):
    return _opened(request)


@pytest.mark.parametrize("n", SIZES)
def test_matvec_equals_numpy(matvec_variant, n):
    variant = matvec_variant
    A, x, _ = make_inputs(n, seed=n)
    r = variant.put(A)
    y = variant.matvec(r, x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float64 and y.shape == (n,)
    check_matvec(y, A, x, variant.name)
    x2 = x[::-1].copy()  # A stays resident: a second x through the same placement
    check_matvec(variant.matvec(r, x2), A, x2, variant.name)
    variant.free(r)
    variant.rest()  # as the paired measurement does after each turn: the next call still answers
    check_matvec(variant.matvec(A, x), A, x, variant.name)  # end-to-end


@pytest.mark.parametrize("n", SIZES)
def test_sum_equals_numpy(sum_variant, n):
    variant = sum_variant
    _, _, a = make_inputs(n, seed=n)
    r = variant.put(a)
    s = variant.vector_sum(r)
    assert np.asarray(s).dtype == np.float64
    check_sum(s, a, variant.name)
    variant.free(r)
    variant.rest()
    check_sum(variant.vector_sum(a), a, variant.name)  # end-to-end


def test_a_missing_kernel_is_refused(variant):
    A, x, a = make_inputs(3)
    missing = [k for k in ("matvec", "sum") if k not in variant.kernels]
    for kernel in missing:
        with pytest.raises(NotImplementedError, match="no"):
            variant.matvec(A, x) if kernel == "matvec" else variant.vector_sum(a)


def test_variants_and_names():
    assert set(variants("matvec")) | set(variants("sum")) == set(SEED_VERSIONS)
    with pytest.raises(ValueError, match="unknown seed variant"):
        seed_version("seed-nothing")


@pytest.mark.parametrize("name", list(SEED_VERSIONS))
def test_close_leaves_no_process(name):
    before = live_children()
    sv = open_or_skip(name, workers=2, make=seed_version)
    A, x, a = make_inputs(5)
    if "matvec" in sv.kernels:
        check_matvec(sv.matvec(sv.put(A), x), A, x, name)
    if "sum" in sv.kernels:
        check_sum(sv.vector_sum(sv.put(a)), a, name)
    started = {
        pid: cmd
        for pid, cmd in live_children().items()
        if pid not in before and not any(h in cmd for h in PER_INTERPRETER)
    }
    if name in ("seed-multiprocessing", "seed-mpi", "seed-mpi-allreduce"):
        assert started, f"{name}: no worker process seen while open"
    sv.close()
    deadline = time.monotonic() + 5.0
    while True:
        left = {pid: cmd for pid, cmd in live_children().items() if pid in started}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"{name} left processes behind after close: {left}"
