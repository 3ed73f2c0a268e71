"""parbench's report: figures and a summary table from asv's results JSON.

* ``results``: find asv's result files, select runs, read one into a ``Run``;
* ``series``: the series of each kernel, computed once, and what is derived from
  them (speedups, crossover, bandwidth, summary rows, seed comparisons);
* ``tables``: the text (tables, headings, notes, caption);
* ``figures``: the matplotlib figures.

It reads only asv's JSON and imports nothing of ``kernels`` but ``kernels.facts``.
asv imports every module under ``benchmarks/`` during discovery, where matplotlib
is not installed: no module here imports more at top level than the standard
library, numpy and ``kernels.facts``; matplotlib is imported inside the functions
that draw.
"""
