"""The mpi backend beyond one host, on the test cluster of ``scripts/testcluster.sh``.

Run from the repository root, as root, with the cluster up (README, "Beyond one host"):

* ``testbed``: the cluster's hosts, their interface byte counters, the hydra
  command line that places ranks on them, and ``Job`` (a launched run whose
  abnormal end, such as a killed rank, becomes ``kernels.base.WorkerError``).
* ``kernels_run``: both kernels verified and timed on rank 0 (launcher-placed
  ranks under ``kernels.mpi.world``, or spawned ones on one host).
* ``multihost``: the multi-host run (ping-pong and kernels in three settings);
  ``summary`` and ``figure``: its tables and the ping-pong figure.
* ``slurm_job`` with ``job.sbatch``: the README's batch recipe run by ``sbatch``.

Not installed with ``kernels`` (setup.py): a tool of the checkout.
"""
