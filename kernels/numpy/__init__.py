"""numpy backend: BLAS dgemv/sgemv and numpy.sum; see ``backend``."""
