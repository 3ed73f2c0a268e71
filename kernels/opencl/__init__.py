"""opencl backend (pyopencl): ``backend`` and its device program ``kernels.cl``."""
