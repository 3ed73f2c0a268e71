"""opencl backend (pyopencl): explicit device buffers, one kernel launch per call.

Placement: ``put`` copies the host array into a device buffer (``data_is_remote``);
a resident matvec then moves only x in and y out.  Every call blocks until the
result is a host numpy value.

How x, y and the sum's partials move: on a device with fine-grain buffer SVM
(OpenCL 2.0 shared virtual memory; PoCL's CPU device has it) they live in SVM
arrays that host and kernel share, so x in is a host copy into the array, y out a
copy out of it once the kernel's event completes, and a call enqueues one command,
the kernel.  Otherwise they are device buffers moved by enqueue_copy (write x,
kernel, blocking read of y: three commands).  Each PoCL command costs about
25-50 us, so the SVM path halves the overhead floor.
``describe()["transfer"]`` says which path runs.

Device and PoCL thread count: see ``kernels.opencl.device``.

The device program is ``kernels.cl`` beside this module; its kernels were chosen
by measurement on PoCL 3.0's CPU device (2 units), see the comments at each
kernel.  They are CPU-shaped (each work-item streams contiguous memory); on a
GPU the rows-per-work-item matvec is uncoalesced.
"""

import importlib.resources

import numpy as np

from .. import verify
from ..base import Backend, BackendUnavailable
from ..blas import BlasThreads
from .device import (
    has_fine_grain_svm,
    import_pyopencl,
    pick_device,
    shares_host_memory,
    thread_note,
)

#: the device program: matvec and vector_sum (package data next to this module)
_SOURCE = importlib.resources.files(__package__).joinpath("kernels.cl").read_text()

MATVEC_ROWS = 4  # rows per matvec work-item: must equal the kernel's ROWS
_LOCAL_SIZE = 64  # work-group size of both kernels (16..256 measured alike on PoCL)
_GROUPS_PER_UNIT = 8  # sum work-groups per compute unit: load balance, few partials
_MIN_PER_ITEM = 256  # sum: fewer work-groups for small n (each item >= 256 elements)


class OpenCLBackend(Backend):
    """OpenCL backend; see the module docstring for device and thread selection.

    ``_open`` raises BackendUnavailable if pyopencl or a device is missing, if
    dtype is float64 and the device lacks cl_khr_fp64, or if the program does not
    build or gives wrong results on the device.
    """

    name = "opencl"
    data_is_remote = True
    pools_placements = True

    @classmethod
    def memory_parts(cls, kernel, n, dtype, workers, resident=True):
        from ..facts import operand_bytes, operand_name, vector_bytes

        s = np.dtype(dtype).itemsize
        return [
            (f"OpenCL buffer of {operand_name(kernel)}", operand_bytes(kernel, n, s), "device"),
            ("OpenCL x, y scratch", vector_bytes(kernel, n, s), "device"),
        ]

    def memory_limits(self):
        if not self._is_open:
            return {}
        return {"device": int(self._device.global_mem_size), "buffer": self._max_alloc}

    # -- lifecycle -----------------------------------------------------------
    def _open(self):
        cl = self._cl = import_pyopencl()
        self._queue = self._ctx = None
        # x, y and partials: device memory (Buffer or SVMAllocation, released in
        # _close) and, on the SVM path, the host arrays that are that memory
        self._scratch_n, self._xmem, self._ymem, self._pmem = 0, None, None, None
        self._xs = self._ys = None
        self._mv_bound = None  # the matrix buffer bound to the matvec kernel now
        self._blas = None
        try:
            self._setup(cl)
            self._warm()
            # numpy work next to the kernels (the caller's checks, verify) must
            # not spin OpenBLAS threads on the cores PoCL uses (kernels.blas).
            self._blas = BlasThreads(1).start()
        except BaseException:
            self._close()  # base.close() is not called when _open fails
            raise

    def _setup(self, cl):
        dev = self._device = pick_device(cl, self.workers)
        fp64 = "cl_khr_fp64" in dev.extensions
        if self.dtype == np.float64 and not fp64:
            raise BackendUnavailable(f"device {dev.name!r} has no cl_khr_fp64")
        self._acc_dtype = np.dtype(np.float64 if fp64 else np.float32)
        self._max_alloc = int(dev.max_mem_alloc_size)
        self._threads = thread_note(cl, dev, self.workers)
        self._svm = has_fine_grain_svm(cl, dev)
        self._zero_copy = shares_host_memory(cl, dev)

        self._ctx = cl.Context([dev])
        self._queue = cl.CommandQueue(self._ctx)
        real = "double" if self.dtype == np.float64 else "float"
        options = [f"-DREAL={real}"] + (["-DUSE_FP64"] if fp64 else [])
        try:
            prg = cl.Program(self._ctx, _SOURCE).build(options=options)
        except cl.Error as exc:
            raise BackendUnavailable(
                f"OpenCL program does not build on {dev.name!r}: {exc}"
            ) from exc
        # Kernel objects made once: Program.<name> makes a new one on every access.
        self._k_matvec = cl.Kernel(prg, "matvec")
        self._k_vector_sum = cl.Kernel(prg, "vector_sum")

        # One local size for every launch: PoCL compiles a work-group function per
        # local size at the first enqueue (~0.1-0.3 s), so a varying size would put
        # a compile into the timed region.  Power of 2 for the tree reduction.
        wg_info = cl.kernel_work_group_info.WORK_GROUP_SIZE
        limit = min(
            _LOCAL_SIZE,
            self._k_matvec.get_work_group_info(wg_info, dev),
            self._k_vector_sum.get_work_group_info(wg_info, dev),
        )
        self._local = 1 << (int(limit).bit_length() - 1)
        self._max_groups = _GROUPS_PER_UNIT * dev.max_compute_units
        self._partials, self._pmem, arg = self._scratch(self._max_groups, self._acc_dtype)
        if self._partials is None:  # buffer path: read back into a host array
            self._partials = np.empty(self._max_groups, self._acc_dtype)
        self._k_vector_sum.set_arg(1, arg)
        self._sum_bound = None  # (buffer, n) bound to the sum kernel now
        self._k_vector_sum.set_arg(3, cl.LocalMemory(self._local * self._acc_dtype.itemsize))

    def _warm(self):
        """Run each kernel once (PoCL JIT-compiles at the first enqueue) and check it.

        Checked because a PoCL build can silently miscompile (seen: vload8 of
        double without AVX-512); odd n covers the remainder loops.
        """
        A, x, a = verify.make_inputs(2 * self._local + 3, self.dtype, seed=1)
        r_a, r_v = self._put(A), self._put(a)
        try:
            verify.check_matvec(self._matvec(r_a, A.shape[0], x), A, x, self.name)
            verify.check_sum(self._vector_sum(r_v, a.shape[0]), a, self.name)
        except AssertionError as exc:
            raise BackendUnavailable(
                f"kernels give wrong results on {self._device.name!r}: {exc}"
            ) from exc
        finally:
            self._free(r_a)
            self._free(r_v)

    def _close(self):
        if self._blas is not None:
            self._blas.stop()
            self._blas = None
        if self._queue is not None:
            self._queue.finish()
        for mem in (self._xmem, self._ymem, self._pmem):
            if mem is not None:
                mem.release()
        # Dropping the last references releases kernels, program, queue, context.
        self._xmem = self._ymem = self._pmem = self._xs = self._ys = self._partials = None
        self._k_matvec = self._k_vector_sum = self._queue = self._ctx = None
        self._mv_bound = self._sum_bound = None
        self._scratch_n = 0

    def describe(self):
        d = {**super().describe()}
        dev = getattr(self, "_device", None)
        if dev is not None:
            d.update(
                device=dev.name.strip(),
                platform=dev.platform.name.strip(),
                platform_version=dev.platform.version.strip(),
                opencl=dev.version.strip(),
                driver=dev.driver_version.strip(),
                compute_units=str(dev.max_compute_units),
                threads=self._threads,
                local_size=str(self._local),
                transfer=(
                    "fine-grain SVM (one command per call)"
                    if self._svm
                    else "buffer copies (write x, kernel, read)"
                ),
                sum_accumulator=self._acc_dtype.name,
                end_to_end=(
                    "zero-copy: the host array as the buffer (USE_HOST_PTR)"
                    if self._zero_copy
                    else "copied into a pooled device buffer"
                ),
            )
        return d

    # -- data placement ------------------------------------------------------
    def _put(self, array):
        """Copy ``array`` ((N,) or (N, N), C-contiguous) to a new device buffer.

        Returns the buffer, or None for an empty array (OpenCL has no 0-byte
        buffers).  Blocking: the data is on the device when this returns.  A
        matrix also grows the x/y scratch buffers to N, so no resident matvec
        allocates.
        """
        if array.nbytes > self._max_alloc:
            raise MemoryError(
                f"opencl backend: an array of {array.nbytes} bytes {array.shape} exceeds the"
                f" largest buffer {self._device.name.strip()!r} allows"
                f" (CL_DEVICE_MAX_MEM_ALLOC_SIZE = {self._max_alloc} bytes)"
            )
        if array.ndim == 2:
            self._ensure_scratch(array.shape[0])
        if array.size == 0:
            return None
        cl = self._cl
        buf = None
        try:
            buf = cl.Buffer(self._ctx, cl.mem_flags.READ_ONLY, array.nbytes)
            cl.enqueue_copy(self._queue, buf, array, is_blocking=True)
        except cl.MemoryError as exc:  # pyopencl's, not a builtin MemoryError
            if buf is not None:
                buf.release()
            raise MemoryError(
                f"opencl backend: cannot allocate {array.nbytes} bytes on"
                f" {self._device.name.strip()!r}: {exc}"
            ) from exc
        return buf

    def _scratch(self, n, dtype):
        """Device memory for n values the host writes or reads at every call.

        Returns (host array or None, memory to release, kernel argument): a
        fine-grain SVM array (the host array is the memory the kernel sees) or,
        without SVM, a device Buffer and None.
        """
        cl = self._cl
        if self._svm:
            flags = cl.svm_mem_flags.READ_WRITE | cl.svm_mem_flags.SVM_FINE_GRAIN_BUFFER
            array = cl.svm_empty(self._ctx, flags, (n,), dtype)
            return array, array.base, cl.SVM(array)
        buf = cl.Buffer(self._ctx, cl.mem_flags.READ_WRITE, n * np.dtype(dtype).itemsize)
        return None, buf, buf

    def _ensure_scratch(self, n):
        if n > self._scratch_n:
            for mem in (self._xmem, self._ymem):
                if mem is not None:
                    mem.release()
            self._xmem = self._ymem = None
            self._xs, self._xmem, xarg = self._scratch(n, self.dtype)
            self._ys, self._ymem, yarg = self._scratch(n, self.dtype)
            self._scratch_n = n
            self._k_matvec.set_arg(1, xarg)
            self._k_matvec.set_arg(2, yarg)

    def _free(self, buf):
        if buf is not None:
            buf.release()

    def _refill(self, buf, array):
        if buf is not None:
            self._cl.enqueue_copy(self._queue, buf, array, is_blocking=True)

    # A device that computes in host memory (a CPU device) reads an end-to-end
    # operand where it is: a buffer over the host array, no copy and no pool.
    def _place(self, array):
        if not self._zero_copy or array.size == 0:
            return super()._place(array)
        if array.ndim == 2:
            self._ensure_scratch(array.shape[0])
        cl = self._cl
        flags = cl.mem_flags.READ_ONLY | cl.mem_flags.USE_HOST_PTR
        return cl.Buffer(self._ctx, flags, hostbuf=array)

    def _unplace(self, array, handle, failed=False):
        if not self._zero_copy or array.size == 0:
            return super()._unplace(array, handle, failed)
        handle.release()

    # -- kernels -------------------------------------------------------------
    def _matvec(self, A_buf, n, x):
        """y (n,) of the dtype: x in, one launch, y out; returns when y is on the host."""
        if n == 0:
            return np.empty(0, self.dtype)  # no launch of size 0
        cl, q, k, L = self._cl, self._queue, self._k_matvec, self._local
        self._ensure_scratch(n)
        if A_buf is not self._mv_bound:
            # set_args costs ~8 us per call in pyopencl: rebind only on a new matrix
            # (the scratch buffers are bound when they are made)
            k.set_arg(0, A_buf)
            k.set_arg(3, np.int32(n))
            self._mv_bound = A_buf
        items = -(-n // MATVEC_ROWS)  # work-items, ROWS rows each
        size = (-(-items // L) * L,)
        if self._svm:
            # Fine-grain SVM: host writes before the enqueue are visible to the
            # kernel, its writes are visible here once its event has completed.
            self._xs[:n] = x
            cl.enqueue_nd_range_kernel(q, k, size, (L,)).wait()
            return self._ys[:n].copy()
        y = np.empty(n, self.dtype)
        cl.enqueue_copy(q, self._xmem, x, is_blocking=False)  # x stays alive: we block below
        cl.enqueue_nd_range_kernel(q, k, size, (L,))
        cl.enqueue_copy(q, y, self._ymem, is_blocking=True)  # in-order queue: waits for all
        return y

    def _vector_sum(self, a_buf, n):
        """sum (Python float) of the n elements: per-group partials, added on the host."""
        if n == 0:
            return 0.0
        cl, k, L = self._cl, self._k_vector_sum, self._local
        groups = max(1, min(self._max_groups, n // (L * _MIN_PER_ITEM)))
        bound = self._sum_bound
        # set_arg costs ~8 us: rebind only for another array ("is": a released
        # buffer's handle may be reused, and we hold the old object alive here)
        if bound is None or bound[0] is not a_buf or bound[1] != n:
            k.set_arg(0, a_buf)
            k.set_arg(2, np.int64(n))
            self._sum_bound = (a_buf, n)
        cl.enqueue_nd_range_kernel(self._queue, k, (groups * L,), (L,))
        p = self._partials[:groups]
        if self._svm:
            self._queue.finish()  # the kernel wrote p itself (see _matvec)
        else:
            cl.enqueue_copy(self._queue, p, self._pmem, is_blocking=True)
        # at most 8 * units partials: a host add is cheaper than a second launch
        return float(p.sum(dtype=np.float64))
