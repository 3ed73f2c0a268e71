"""Builds the ``kernels`` package and its Cython+OpenMP extension (``kernels.compiled``).

The extension is the compiled code several backends share (see ``kernels/compiled``).
"""

import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

if sys.platform == "darwin":  # Apple clang needs libomp; not a target we measure
    omp_compile, omp_link = ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
else:
    omp_compile, omp_link = ["-fopenmp"], ["-fopenmp"]

# -fassociative-math (with the flags it requires) lets gcc vectorise the dot
# products and the sum by reordering additions; unlike -ffast-math it keeps
# NaN/inf semantics, so they propagate as in numpy.
fp_flags = ["-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"]

extension = Extension(
    "kernels.compiled.openmp_loops",
    ["kernels/compiled/openmp_loops.pyx"],
    include_dirs=[numpy.get_include()],
    extra_compile_args=["-O3", "-march=native", *fp_flags, *omp_compile],
    extra_link_args=omp_link,
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(
    name="parbench",
    version="0.1.0",
    description="Which Python parallel backend, at which problem size, on this machine",
    packages=find_packages(include=["kernels", "kernels.*", "farm", "farm.*"]),
    # the OpenCL device programs, read at run time (importlib.resources)
    package_data={"kernels.opencl": ["*.cl"], "kernels.seeds": ["*.cl"]},
    ext_modules=cythonize([extension], compiler_directives={"language_level": 3}),
    python_requires=">=3.9",
    install_requires=["numpy", "threadpoolctl", "psutil"],
    extras_require={
        "all": ["numba", "pyopencl", "pocl-binary-distribution", "mpi4py", "mpich"],
    },
)
