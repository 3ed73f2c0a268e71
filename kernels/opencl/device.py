"""Device selection for the opencl backend and its seed variant.

Device: ``PYOPENCL_CTX`` if set (pyopencl's convention), else the first device of
the first platform.  ``workers`` is applied on PoCL's CPU device by setting
``POCL_MAX_PTHREAD_COUNT`` before the platform is first initialised in this
process; PoCL reads it once, so a later backend asking for another count cannot
change it (``thread_note`` says so and issues a RuntimeWarning).
"""

import os
import warnings

from ..base import BackendUnavailable

#: Thread count ``pick_device`` asked PoCL for when it first initialised the
#: platform in this process (None: not yet initialised by this module).
_POCL_THREADS_REQUESTED = None
_PLATFORM_INITIALISED = False
#: PoCL 3.0 (this project's pocl-binary-distribution) reads POCL_MAX_PTHREAD_COUNT
#: (checked: 1 -> 1 compute unit, 1 worker thread, matvec 2x slower than with 2);
#: newer PoCL (CPU device renamed "cpu") reads POCL_CPU_MAX_CU_NUM (not checked here).
_POCL_THREAD_VARS = ("POCL_MAX_PTHREAD_COUNT", "POCL_CPU_MAX_CU_NUM")


def import_pyopencl():
    """Return the pyopencl module; BackendUnavailable if it cannot be imported."""
    try:
        import pyopencl as cl
    except ImportError as exc:
        raise BackendUnavailable(f"pyopencl cannot be imported: {exc}") from exc
    return cl


def has_fine_grain_svm(cl, device):
    """True if ``device`` offers fine-grain buffer SVM (OpenCL >= 2.0, optional)."""
    try:
        caps = device.svm_capabilities
    except (cl.Error, AttributeError):  # OpenCL 1.x device or pyopencl without SVM
        return False
    return bool(caps & cl.device_svm_capabilities.FINE_GRAIN_BUFFER)


def shares_host_memory(cl, device):
    """True if ``device`` computes in host memory (a CPU device, or one reporting
    CL_DEVICE_HOST_UNIFIED_MEMORY), so a USE_HOST_PTR buffer is the host array itself."""
    if device.type & cl.device_type.CPU:
        return True
    try:
        return bool(device.host_unified_memory)
    except (cl.Error, AttributeError):  # deprecated since OpenCL 2.0: may be missing
        return False


def pick_device(cl, workers):
    """Return the device (PYOPENCL_CTX or first platform's first device).

    The first call in this process sets the PoCL thread count to ``workers``
    around the platform's initialisation (PoCL reads it then, once) and restores
    the environment afterwards so child processes are not affected.
    """
    global _PLATFORM_INITIALISED, _POCL_THREADS_REQUESTED
    saved = {key: os.environ.get(key) for key in _POCL_THREAD_VARS}
    if not _PLATFORM_INITIALISED:
        os.environ.update(dict.fromkeys(_POCL_THREAD_VARS, str(workers)))
    try:
        if os.environ.get("PYOPENCL_CTX"):
            device = cl.create_some_context(interactive=False).devices[0]
        else:
            platforms = cl.get_platforms()
            if not platforms:
                raise BackendUnavailable("no OpenCL platform found")
            devices = platforms[0].get_devices()
            if not devices:
                raise BackendUnavailable(f"OpenCL platform {platforms[0].name!r} has no device")
            device = devices[0]
    except BackendUnavailable:
        raise
    except (cl.Error, RuntimeError) as exc:
        # cl.Error: PLATFORM_NOT_FOUND_KHR from get_platforms (no driver/ICD);
        # RuntimeError: create_some_context's "no CL platforms available"
        raise BackendUnavailable(f"no usable OpenCL device: {exc}") from exc
    finally:
        if not _PLATFORM_INITIALISED:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    if not _PLATFORM_INITIALISED:  # only once a device was found: PoCL is now set up
        _PLATFORM_INITIALISED, _POCL_THREADS_REQUESTED = True, workers
    return device


def thread_note(cl, dev, workers):
    """How ``workers`` was applied on ``dev`` (a str for describe); warns when it was not."""
    units = dev.max_compute_units
    pocl = "portable computing" in dev.platform.name.lower()
    if not (pocl and dev.type & cl.device_type.CPU):
        return (
            f"workers not applied: {cl.device_type.to_string(dev.type)} device uses"
            f" its {units} compute units"
        )
    if units == workers:  # PoCL reports one compute unit per worker thread
        return f"{units} PoCL threads ({'='.join(_POCL_THREAD_VARS)}={units})"
    note = (
        f"workers={workers} not applied: PoCL runs {units} threads, fixed when"
        f" its platform was first initialised in this process"
        f" (requested then: {_POCL_THREADS_REQUESTED or 'outside this backend'})"
    )
    warnings.warn(f"opencl backend: {note}", RuntimeWarning, stacklevel=5)
    return note
