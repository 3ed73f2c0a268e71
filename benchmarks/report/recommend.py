"""The answer a reader came for: which backend to use at which N, read from the intervals.

``recommendation(speedups, kernel)`` turns one kernel's resident speedups over
serial numpy ({backend: {N: Interval}}) into sentences:

* the fastest backend for each range of consecutive N with the same answer:
  the backend with the highest estimate, and with it every backend whose 95%
  interval overlaps the winner's (a tie: the data cannot tell them apart);
  a range is written with the winner's speedups ("numba, 2.2-2.4x");
* for each backend, the N where it is faster than serial numpy (its whole
  interval above 1), so a backend that only wins small sizes is not "never".

Sizes are written as powers of two when they are ("2^10-2^16"), else as numbers.
"""

from .records import fastest


def fmt_n(n):
    """2^k for a power of two >= 2, else the number."""
    if isinstance(n, int) and n >= 2 and n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    return str(n)


def fmt_range(first, last):
    return fmt_n(first) if first == last else f"{fmt_n(first)}-{fmt_n(last)}"


def answer_ranges(speedups):
    """[(first N, last N, (winner, *tied), [winner's Interval at each N])], consecutive N
    with the same winner and the same tied backends grouped."""
    out = []
    for n, winner, tied, best, wide in fastest(speedups):
        answer = (winner, *sorted(f"{b}*" if b in wide else b for b in tied))
        if out and out[-1][2] == answer:
            first, _last, _a, ivs = out[-1]
            out[-1] = (first, n, answer, ivs + [best])
        else:
            out.append((n, n, answer, [best]))
    return out


def _speedup_span(intervals):
    lo = min(iv.estimate for iv in intervals)
    hi = max(iv.estimate for iv in intervals)
    return f"{lo:.2g}x" if f"{lo:.2g}" == f"{hi:.2g}" else f"{lo:.2g}-{hi:.2g}x"


def faster_ranges(by_n):
    """[(first N, last N)] of consecutive N whose interval lies wholly above 1."""
    out, run = [], None
    for n in sorted(by_n):
        if by_n[n].low > 1.0:
            run = (run[0], n) if run else (n, n)
        elif run:
            out.append(run)
            run = None
    if run:
        out.append(run)
    return out


def recommendation(speedups, kernel):
    """The sentences (list of str) of one kernel's recommendation; [] without speedups."""
    if not speedups:
        return []
    lines = []
    for first, last, answer, ivs in answer_ranges(speedups):
        winner, tied = answer[0], answer[1:]
        text = f"{kernel}, N = {fmt_range(first, last)}: **{winner}** ({_speedup_span(ivs)})"
        if tied:
            text += f", tied with {', '.join(tied)} (their intervals overlap"
            text += "; *: only through an interval wider than 2x)" if "*" in "".join(tied) else ")"
        lines.append(text)
    faster = []
    for backend in sorted(speedups):
        ranges = faster_ranges(speedups[backend])
        where = ", ".join(fmt_range(a, b) for a, b in ranges) if ranges else "no N"
        faster.append(f"{backend}: {where}")
    lines.append(f"{kernel}, faster than serial numpy at: " + "; ".join(faster))
    return lines


def machine_line(run):
    """One line on what the run ran on: machine name, CPU, cores, memory."""
    parts = [f"machine `{run.machine}`"]
    cpu = run.info.get("cpu") or run.machine_fact("cpu")
    if cpu:
        parts.append(str(cpu))
    cores = run.machine_fact("num_cpu")
    if cores:
        parts.append(f"{cores} cores")
    ram = run.machine_fact("ram")
    try:
        parts.append(f"{int(ram) / 2**30:.0f} GiB memory")
    except (TypeError, ValueError):
        pass
    return ", ".join(parts)


def conditions(run):
    """What the recommendation holds for: mode, workers, dtype (from the run's RunInfo)."""
    workers = run.workers or "all cores"
    dtype = run.info.get("dtype", "float64")
    return f"resident data (placed before the timed calls), {workers} workers, {dtype}"


def answer(report):
    """[(kernel, [sentence, ...])] of a paired run's resident speedups; [] otherwise."""
    if not report.paired:
        return []
    out = []
    for kernel, ks in report.kernels.items():
        resident = {b: v for (b, m), v in ks.intervals["speedup"].items() if m == "resident"}
        lines = recommendation(resident, kernel)
        if lines:
            out.append((kernel, lines))
    return out


def markdown(report, short_of_target=0):
    """summary.md's opening section (str), or "" for a run without paired speedups."""
    found = answer(report)
    if not found:
        return ""
    lines = [
        "## Which backend to use",
        "",
        f"On {machine_line(report.run)}; for {conditions(report.run)}. Speedups over serial",
        "numpy with their 95% intervals; backends whose intervals overlap are ties.",
        "",
    ]
    for _kernel, sentences in found:
        lines += [f"- {s}" for s in sentences]
    if short_of_target:
        lines += [
            "",
            f"{short_of_target} figures fell short of their precision target: see the end.",
        ]
    return "\n".join(lines) + "\n\n"
