"""Seed 000's numba kernel ``nb_sum``: the serial loop the seed runs in each MPI rank."""

_nb_sum = None


def nb_sum_kernel():
    """Seed 000's ``nb_sum``, compiled lazily (numba is imported on first use)."""
    global _nb_sum
    if _nb_sum is None:
        import numba as nb

        @nb.jit(nopython=True)
        def nb_sum(x):
            sum = 0  # the seed's own name (shadows the builtin here only)
            for i in x:
                sum += i
            return sum

        _nb_sum = nb_sum
    return _nb_sum
