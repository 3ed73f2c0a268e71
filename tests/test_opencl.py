"""The opencl backend (kernels/opencl): its buffer path, and when it cannot run here.

Cross-backend correctness is in test_kernels.py (which runs opencl on the SVM
path PoCL's CPU device offers).  Unavailable cases: hidden in-process with
monkeypatch where the backend checks at ``open()``, and in a child process
through the environment where it is process-wide state: ``POCL_DEVICES=none``
(PoCL exposes no device), ``PYOPENCL_CTX`` naming no device.
"""

import re
import sys

import pytest

from kernels import BackendUnavailable
from kernels.verify import check_matvec, check_sum, make_inputs

from .helpers import HIDE_OPENCL, OPEN_IN_CHILD, SIZES, open_or_skip, run_python_code, unavailable


@pytest.mark.filterwarnings("ignore:opencl backend:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_opencl_buffer_path_without_svm(monkeypatch, dtype):
    """Devices without fine-grain SVM (most GPUs) move x, y, partials by buffer copies.

    PoCL's CPU device has SVM, so the ``backend`` fixture (test_kernels.py) only
    runs the SVM path: here the device is made to report no SVM and every size
    is checked again.
    """
    pytest.importorskip("pyopencl")
    from kernels.opencl import backend as opencl_backend

    monkeypatch.setattr(opencl_backend, "has_fine_grain_svm", lambda cl, device: False)
    be = open_or_skip("opencl", dtype=dtype)
    try:
        assert be.describe()["transfer"].startswith("buffer copies")
        for n in SIZES:
            A, x, a = make_inputs(n, be.dtype, seed=n)
            r = be.put(A)
            check_matvec(be.matvec(r, x), A, x, be.name)
            check_matvec(be.matvec(r, x[::-1].copy()), A, x[::-1], be.name)
            check_matvec(be.matvec(A, x), A, x, be.name)
            be.free(r)
            check_sum(be.vector_sum(be.put(a)), a, be.name)
            check_sum(be.vector_sum(a), a, be.name)
    finally:
        be.close()


# ------------------------------------------------------------- unavailable


@pytest.mark.timeout(60)
def test_opencl_without_platform(monkeypatch):
    cl = pytest.importorskip("pyopencl")
    monkeypatch.delenv("PYOPENCL_CTX", raising=False)
    monkeypatch.setattr(cl, "get_platforms", lambda: [])
    assert unavailable("opencl") == "no OpenCL platform found"


@pytest.mark.timeout(60)
def test_opencl_without_icd(monkeypatch):
    """What the ICD loader reports when no driver is installed at all."""
    cl = pytest.importorskip("pyopencl")
    monkeypatch.delenv("PYOPENCL_CTX", raising=False)

    def no_icd():
        raise cl.LogicError(
            cl._cl._ErrorRecord("clGetPlatformIDs", cl.status_code.PLATFORM_NOT_FOUND_KHR, "")
        )

    monkeypatch.setattr(cl, "get_platforms", no_icd)
    assert re.search(r"no usable OpenCL device: .*PLATFORM_NOT_FOUND_KHR", unavailable("opencl"))


@pytest.mark.timeout(60)
def test_opencl_device_without_fp64(monkeypatch):
    pytest.importorskip("pyopencl")
    from kernels.opencl import backend as opencl_backend

    real_pick = opencl_backend.pick_device

    class NoFP64:
        """The real device, minus the cl_khr_fp64 extension."""

        def __init__(self, dev):
            self._dev = dev
            self.extensions = dev.extensions.replace("cl_khr_fp64", "")
            self.name = dev.name

        def __getattr__(self, attr):
            return getattr(self._dev, attr)

    monkeypatch.setattr(opencl_backend, "pick_device", lambda cl, w: NoFP64(real_pick(cl, w)))
    try:
        real_pick(__import__("pyopencl"), 2)
    except BackendUnavailable as exc:
        pytest.skip(f"opencl unavailable here: {exc}")
    assert re.fullmatch(r"device '.+' has no cl_khr_fp64", unavailable("opencl"))


@pytest.mark.timeout(60)
def test_opencl_without_pyopencl(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)
    assert unavailable("opencl").startswith("pyopencl cannot be imported")


@pytest.mark.timeout(60)
def test_opencl_platform_hidden_in_a_child_process():
    done = run_python_code(OPEN_IN_CHILD.format(name="opencl"), HIDE_OPENCL)
    assert (
        "UNAVAILABLE OpenCL platform 'Portable Computing Language' has no device" in done.stdout
        or "UNAVAILABLE pyopencl cannot be imported" in done.stdout
    ), done.stdout + done.stderr


@pytest.mark.timeout(60)
def test_opencl_ctx_naming_no_device():
    done = run_python_code(OPEN_IN_CHILD.format(name="opencl"), {"PYOPENCL_CTX": "0:7"})
    assert re.search(
        r"UNAVAILABLE (no usable OpenCL device: .*device|pyopencl cannot)", done.stdout
    ), done.stdout + done.stderr
