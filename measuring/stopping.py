"""When a figure is known: the precision target, and the rule for backends tied at one N.

The paired measurement (``measuring.pairs``) runs processes until every figure
is known or the phase's budget is spent.  A figure is *known* when its 95%
interval (``measuring.intervals.ratio_interval``) has a half-width of at most
``TARGET`` of its estimate; a case (kernel, backend, N) stays *open* while one
of the figures it measures is not known.

The fastest backend at one N has its own rule (``tie_state``): the backends
whose intervals overlap the leader's are tied; a tie is measured further until
the intervals separate, or until both are narrower than the target (then they
are equal within the precision asked for: a real tie), or until the budget is
spent (an open tie, reported as such).

Why 5%: a backend about a tenth faster is the one to use, and two intervals of
half-width 5% stop overlapping once their estimates are 11% apart (1.00 +- 5%
ends at 1.05, 1.11 - 5% starts at 1.055), so 5% is the coarsest target that
separates backends a tenth apart.  Laaber et al., "Dynamically reconfiguring software
microbenchmarks" (FSE 2020), stop at a relative interval width of 3% (a
half-width of 1.5%) to detect regressions, which asks for finer changes than
choosing a backend.
"""

from .intervals import min_processes, overlap, ratio_interval

#: a figure is known when its 95% half-width is at most this share of its estimate
TARGET = 0.05


def half_width(interval):
    """The half-width of ``interval`` (estimate, low, high, ...) as a share of its estimate.

    (high - low) / 2 / estimate: the number the summary and RESULTS.md report
    (as a percentage).  Raises ZeroDivisionError for an estimate of 0.
    """
    estimate, low, high = interval[:3]
    return (high - low) / 2 / estimate


def is_known(groups, target=TARGET):
    """True when the processes' values ``groups`` give an interval within ``target``.

    ``groups``: one sequence of per-round ratios per process (as ``ratio_interval``
    takes them).  Fewer processes than ``min_processes()`` are never known.
    """
    if sum(1 for g in groups if len(g)) < min_processes():
        return False
    try:
        return half_width(ratio_interval(groups)) <= target
    except ValueError:  # a ratio <= 0 or not finite: more processes cannot mend it
        return True


def tie_state(intervals, higher_is_better=True, target=TARGET):
    """The fastest-backend question at one N: (leader, {backend: state}).

    ``intervals``: {backend: interval (estimate, low, high, ...)} of one figure
    (a speedup: ``higher_is_better``; a time: not).  The leader has the best
    estimate.  Every other backend's state is ``"separate"`` (its interval does
    not overlap the leader's), ``"equal"`` (it overlaps, and both intervals are
    within ``target``: equal at the precision asked for) or ``"open"`` (it
    overlaps and one of the two is wider: more processes can decide it).
    Raises ValueError for an empty dict.
    """
    if not intervals:
        raise ValueError("no backend to compare")
    sign = 1 if higher_is_better else -1
    leader = max(intervals, key=lambda b: sign * intervals[b][0])
    lead = intervals[leader]
    states = {}
    for backend, iv in intervals.items():
        if backend == leader:
            continue
        if not overlap(iv, lead):
            states[backend] = "separate"
        elif half_width(iv) <= target and half_width(lead) <= target:
            states[backend] = "equal"
        else:
            states[backend] = "open"
    return leader, states


def open_ties(intervals, higher_is_better=True, target=TARGET):
    """The backends (leader included) whose tie at this N is still open; empty when decided."""
    leader, states = tie_state(intervals, higher_is_better, target)
    tied = {b for b, s in states.items() if s == "open"}
    return tied | {leader} if tied else set()


def case_of(key):
    """The case (kernel, backend, N) that measures the figure ``key``, as keyed.

    ``key``: (quantity, kernel, mode, backend, N) as ``measuring.pairs`` keys its
    figures.  ``measuring.pairs.case_of`` maps figures whose N is not a size (the
    roof, the copy bound, the library ratio) and the serial baseline's times to
    the case that measures them; this default keeps the key's fields.
    """
    _quantity, kernel, _mode, backend, n = key
    return (kernel, backend, n)


def open_cases(records, target=TARGET, least=None, case=case_of):
    """The cases the next process should measure, from the processes so far.

    ``records``: one dict per process so far, {figure key (tuple): [per-round
    ratios]}; ``case(key)``: the case that measures a figure (default
    ``case_of``).  A case is open while one of its figures is not known
    (``is_known``), and, at each (kernel, N), the backends whose resident
    speedup is still tied with the leader's (``open_ties``) stay open however
    precise they are.  Before ``least`` processes (default ``min_processes()``)
    every case is open.  Returns a set of cases.
    """
    least = min_processes() if least is None else least
    groups = {}
    for record in records:
        for key, values in record.items():
            groups.setdefault(tuple(key), []).append(values)
    if len(records) < least:
        return {case(k) for k in groups}
    out = {case(k) for k, g in groups.items() if not is_known(g, target)}
    speedups = {}
    for k, g in groups.items():
        quantity, kernel, mode, backend, n = k
        if quantity == "speedup" and mode == "resident" and len(g) >= least:
            try:
                speedups.setdefault((kernel, n), {})[backend] = (case(k), ratio_interval(g))
            except ValueError:
                continue
    for by_backend in speedups.values():
        intervals = {b: iv for b, (_c, iv) in by_backend.items()}
        out |= {by_backend[b][0] for b in open_ties(intervals, True, target)}
    return out


def status(groups, target=TARGET, tied=False, why_short="process cap"):
    """What a figure's processes reached: {"met", "why", "processes", "rounds"}.

    ``met``: the half-width is within ``target``; else ``why`` says what stopped
    it: "tie still open" (``tied``), or ``why_short`` ("process cap", "budget").
    """
    iv = ratio_interval(groups)
    met = half_width(iv) <= target
    why = "" if met else ("tie still open" if tied else why_short)
    return {"met": met, "why": why, "processes": iv[3], "rounds": iv[4]}
