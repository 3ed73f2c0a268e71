"""Builds the ``kernels`` package and its Cython+OpenMP extension (``kernels.compiled``).

The extension is the compiled code several backends share (see ``kernels/compiled``).
"""

import os
import re
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


def requirement_groups(path="requirements.txt"):
    """{group: [requirement, ...]} from requirements.txt, whose groups start at "# [name]".

    requirements.txt is the one list of dependencies (bootstrap.sh installs it as it
    is); setup.py turns its groups into install_requires and extras.  Raises
    ValueError for a requirement before the first group line.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    groups, current = {}, None
    with open(os.path.join(here, path), encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            heading = re.match(r"#\s*\[([\w-]+)\]", line)
            if heading:
                current = groups.setdefault(heading.group(1), [])
            elif line and not line.startswith("#"):
                if current is None:
                    raise ValueError(f"{path}: {line!r} stands before the first '# [group]' line")
                current.append(line)
    return groups


GROUPS = requirement_groups()
#: what a user runs: the backends, asv and the intervals, the report
USER_EXTRAS = ("backends", "runner", "report")
EXTRAS = {name: reqs for name, reqs in GROUPS.items() if name != "core"}
EXTRAS["all"] = [r for name in USER_EXTRAS for r in GROUPS[name]]
EXTRAS["dev"] = EXTRAS["all"] + GROUPS["build"] + GROUPS["test"]

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
    packages=find_packages(
        include=["kernels", "kernels.*", "farm", "farm.*", "measuring", "measuring.*"]
    ),
    # the OpenCL device programs, read at run time (importlib.resources)
    package_data={"kernels.opencl": ["*.cl"], "kernels.seeds": ["*.cl"]},
    ext_modules=cythonize([extension], compiler_directives={"language_level": 3}),
    python_requires=">=3.9",
    install_requires=GROUPS["core"],
    extras_require=EXTRAS,
)
