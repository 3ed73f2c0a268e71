"""``seed-opencl`` (seed 004's ``opencl-dense-mv.py``): its ``dmv_cl``; see ``kernels.seeds``."""

import importlib.resources

import numpy as np

from ..base import BackendUnavailable
from ..blas import BlasThreads
from ..opencl.device import import_pyopencl, pick_device
from .base import SeedVersion

#: the seed's kernel source, a Python %-template (N and the element type filled in)
_DMV_SOURCE = importlib.resources.files(__package__).joinpath("dmv_cl.cl").read_text()


class SeedOpenCL(SeedVersion):
    name = "seed-opencl"
    compares_to = "opencl"
    seed = "004: opencl-dense-mv.py (dmv_cl)"
    kernels = ("matvec",)
    data_is_remote = True

    def _open(self):
        cl = self._cl = import_pyopencl()
        # the seed takes platforms[0].get_devices()[0]; so does pick_device unless
        # PYOPENCL_CTX says otherwise, and it applies workers to PoCL's thread count
        dev = self._device = pick_device(cl, self.workers)
        if self.dtype == np.float64 and "cl_khr_fp64" not in dev.extensions:
            raise BackendUnavailable(f"device {dev.name!r} has no cl_khr_fp64")
        self._ctx = cl.Context([dev])
        self._queue = cl.CommandQueue(self._ctx)
        self._programs = {}
        self._blas = BlasThreads(1).start()

    def _close(self):
        self._queue.finish()
        self._programs.clear()
        self._queue = self._ctx = None
        self._blas.stop()

    def describe(self):
        d = super().describe()
        dev = getattr(self, "_device", None)
        if dev is not None:
            d.update(
                device=dev.name.strip(),
                platform=dev.platform.name.strip(),
                compute_units=str(dev.max_compute_units),
            )
        return d

    def _program(self, n):
        """The seed's program, built with N = n compiled in (once per n)."""
        if n not in self._programs:
            real = "double" if self.dtype == np.float64 else "float"
            src = _DMV_SOURCE % {"mat_size": n, "real": real}
            try:
                self._programs[n] = self._cl.Program(self._ctx, src).build()
            except self._cl.Error as exc:
                raise BackendUnavailable(f"the seed's dmv_cl does not build: {exc}") from exc
        return self._programs[n]

    def _put(self, array):
        if array.ndim != 2:
            raise self._missing("vector sum")
        n = array.shape[0]
        if n == 0:
            return None  # no 0-byte buffers in OpenCL, no launch of size 0
        cl, mf = self._cl, self._cl.mem_flags
        program = self._program(n)
        d_A_buf = cl.Buffer(self._ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=array)
        d_y_buf = cl.Buffer(self._ctx, mf.WRITE_ONLY, size=n * self.dtype.itemsize)
        return program, d_A_buf, d_y_buf

    def _free(self, handle):
        if handle is not None:
            for buf in handle[1:]:
                buf.release()

    def _matvec(self, handle, n, x):
        h_y = np.empty(n, self.dtype)
        if n == 0:
            return h_y
        cl, mf, queue = self._cl, self._cl.mem_flags, self._queue
        program, d_A_buf, d_y_buf = handle
        d_x_buf = cl.Buffer(self._ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=x)
        # program.dmv_cl(...) in the seed: a new kernel object per access (the
        # attribute form would warn from the second access on; same cost)
        dmv_cl = cl.Kernel(program, "dmv_cl")
        event = dmv_cl(queue, h_y.shape, None, d_A_buf, d_x_buf, d_y_buf)
        event.wait()
        cl.enqueue_copy(queue, h_y, d_y_buf)
        return h_y
