"""parbench's report: figures and a summary table from asv's results JSON.

Run from the repository root after ``asv run``::

    python -m benchmarks.plot                 # newest run of every machine
    python -m benchmarks.plot --machine NAME --commit 1a2b3c4d --format png

For each machine and kernel (matvec, sum) it writes, under ``plots/<machine>/``:

* ``<kernel>-time.<fmt>``       seconds per call vs N (log-log); resident timings
  solid, end-to-end dashed, the serial numpy baseline black;
* ``<kernel>-speedup.<fmt>``    serial-numpy time / backend time vs N, with lines
  at 1 (break-even) and at the worker count (ideal scaling);
* ``<kernel>-bandwidth.<fmt>``  GB/s vs N (``kernels.facts.bytes_moved``: matvec
  8*(N*N + 2N) bytes, sum 8*N for float64), with the machine's memory roof from
  the same run when measured;
* ``<kernel>-fastest.<fmt>``    of a run with paired figures: the fastest backend at each
  N (resident) and the backends tied with it (95% intervals overlap), a strip chart;
* ``summary.md``                the summary table (also printed);
* ``report.html``               one self-contained page (no server, no network) with
  the run's settings, every figure written above, the tables and notes: open it first.

A run with paired figures (``measuring.pairs``: every ratio timed in alternation
and repeated over processes, with a 95% interval) is reported from them only:
speedups, bandwidths, % roof and seed ratios with their intervals, bands in the
figures, a crossover N defined from the intervals, the end-to-end cost and fastest
backend tables.  A run without them (every run before the paired benchmarks) is
reported exactly as before.  ``python -m benchmarks.compare A B`` compares two
runs' paired figures interval by interval.

One job per module, each using only those before it:

* ``results``: find asv's result files, select runs, read one into a ``Run``;
* ``records``: a run's paired figures as Intervals (estimate, low, high), and what is
  derived from intervals alone (fastest backend, ties);
* ``series``: the series of each kernel, computed once, and what is derived from
  them (speedups, crossover, bandwidth, summary rows, seed comparisons);
* ``tables``: the text (tables, headings, notes, caption);
* ``figures``: the matplotlib figures;
* ``page``: ``report.html``, a list of sections (tables, figures, notes) rendered by
  the Jinja2 template ``templates/report.html.j2``;
* ``cli``: the command line and the files it writes;
* ``compare``: ``python -m benchmarks.compare``, two runs' paired figures compared.

It reads only asv's JSON and imports nothing of ``kernels`` but ``kernels.facts``
(no backend), and of the suite only ``measuring.intervals`` (interval overlap).
asv imports every module under ``benchmarks/`` during discovery, where matplotlib
is not installed: no module here imports more at top level than the standard
library, numpy and ``kernels.facts``; matplotlib is imported inside the functions
that draw, jinja2 inside the one that renders the page.
"""
