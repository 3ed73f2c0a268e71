"""``seed-numba`` (seed 000): its serial ``nb_sum`` alone (see ``kernels.seeds``)."""

import numpy as np

from ..base import BackendUnavailable
from .base import SeedVersion
from .nb_sum import nb_sum_kernel


class SeedNumba(SeedVersion):
    name = "seed-numba"
    compares_to = "numba"
    seed = "000: nb_sum (@nb.jit(nopython=True), serial)"
    kernels = ("sum",)

    def _open(self):
        try:
            self._nb_sum = nb_sum_kernel()
        except ImportError as exc:
            raise BackendUnavailable(f"numba cannot be imported: {exc}") from exc
        self._nb_sum(np.zeros(2, self.dtype))  # compile for this dtype before any timing

    def _close(self):
        pass

    def describe(self):
        return {**super().describe(), "threads": "1 (the seed's loop is serial)"}

    def _put(self, array):
        if array.ndim != 1:
            raise self._missing("matvec")
        return array

    def _vector_sum(self, a, n):
        return self._nb_sum(a)
