"""The measuring package: what parbench needs to measure honestly, apart from asv's suite.

* ``settings``: the run's settings (the PARBENCH_* switches), read once and passed down.
* ``timing``: the timing loops, and several calls timed in alternation.
* ``cases``: which backends a figure exists for; one case's data, opened and verified.
* ``pairs``: the paired measurement, every ratio timed in alternation over processes.
* ``intervals``: the estimate and 95% interval of a figure from its processes.
* ``stopping``: when a figure is known (its precision target) and when a tie is decided.
* ``interference``: what the hypervisor and other processes took during each round.
* ``figures``: the table of the paired figures (asv names, units, parameters, keys).
* ``asv_store``: the figures written into asv's results, without an asv process each.
* ``process_records``: each measuring process's records, saved as it ends.
* ``progress``: the paired phase's progress, printed in the terminal that started the run.
* ``phases``: the run's phases, their time budgets, and a run's record of them.
* ``machine``: the hardware facts and the asv machine name made from them.
* ``asv_paths``: where asv keeps this run's results, and the asv run this process is in.

It imports ``kernels`` (the backends) and nothing of ``benchmarks`` (asv's modules),
so asv's suite, the report, cluster/ and measurements/ all use it alike.
"""
