"""cython-openmp backend: the Cython+OpenMP loops of ``kernels.compiled``; see ``backend``."""
