"""Compiled loops shared by several backends.

* ``openmp_loops`` (Cython + OpenMP, built by ``setup.py``): the matvec and vector
  sum of the ``cython-openmp`` backend, the one-thread row-block matvec that
  multiprocessing workers and MPI ranks run, and the STREAM-like loops of the
  memory roof (``benchmarks.roof``).
* ``block_matvec``: that one-thread row-block matvec, with a numpy fallback where
  the extension is not built.

``load_openmp_loops()`` returns the extension or raises BackendUnavailable.
"""

from ..base import BackendUnavailable


def load_openmp_loops():
    """Return the compiled module ``kernels.compiled.openmp_loops``.

    Raises BackendUnavailable (with how to build it) if it is not built.
    """
    try:
        from . import openmp_loops
    except ImportError as exc:
        raise BackendUnavailable(
            "the Cython+OpenMP extension kernels.compiled.openmp_loops is not built"
            f" ({exc}); build it with `pip install .` or"
            " `python setup.py build_ext --inplace`"
        ) from exc
    return openmp_loops
