"""Base class of the seed variants (see ``kernels.seeds``)."""

from ..base import Backend


class SeedVersion(Backend):
    """Base of the seed variants: a Backend with the kernels the seed shows.

    ``kernels``: the kernels this variant has ("matvec", "sum"); a call to the
    other one raises NotImplementedError.  ``compares_to``: the parbench
    backend it is the plain version of.  ``seed``: where in the seeds it is.
    """

    kernels = ("matvec", "sum")
    compares_to = None
    seed = ""
    #: the seeds place their operands anew at every call
    pools_placements = False

    def _missing(self, kernel):
        return NotImplementedError(f"{self.name}: the seeds show no {kernel} for this variant")

    def _matvec(self, handle, n, x):
        raise self._missing("matvec")

    def _vector_sum(self, handle, n):
        raise self._missing("vector sum")

    def describe(self):
        return {**super().describe(), "seed": self.seed, "compares_to": self.compares_to}
