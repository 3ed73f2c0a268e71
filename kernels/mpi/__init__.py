"""mpi backend (mpi4py).

* ``backend``: the Backend class (driver = rank 0).
* ``spawn``: starting ranks from a plain Python process (MPICH singleton Spawn).
* ``process_manager``: the program the driver's ``mpiexec`` runs (single-host
  process manager, no listening port), and the ranks' parent-death link.
* ``segments``: MPICH's shared-memory files of a job, removed after a death;
  ``reaper``: the process that removes them when the driver is killed.
* ``interrupts``: Ctrl-C during a command lets the command complete first.
* ``finalize``: MPI_Finalize at exit only where it can complete.
* ``rank``: the rank program and the per-command collectives every rank runs.
* ``world``: the launcher-placed mode, ``mpiexec -n P python -m kernels.mpi.world script.py``.
* ``pingpong``: the cost of one message between two ranks, pickle vs numpy buffer.
"""

#: An idle rank spins (polls the header broadcast) this long after its last
#: command, so back-to-back calls pay no wake-up latency, then sleeps between
#: polls; ``MPIBackend.rest`` ends the spin at once (a measurement that times
#: another side next calls it, instead of waiting this long).
SPIN_S = 0.25
