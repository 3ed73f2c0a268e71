"""MPI_Finalize at interpreter exit, in a driver that spawned ranks, only where it can complete.

mpi4py calls MPI_Finalize when the interpreter exits (a ``Py_AtExit``
function, after every ``atexit`` handler).  In a process whose spawned ranks
were killed (a rank died, or the backend broke and killed them; either way
``kernels.mpi.spawn`` then kills MPICH's process manager too, see
``mark_process_manager_lost``) that call crashes.  MPICH's MPI_Finalize ends
with a PMI barrier: the singleton writes ``cmd=barrier_in`` on its PMI socket
to the process manager and reads the reply.  The process manager is dead, the
read returns end-of-file, and MPICH's PMI client uses the reply it did not
get: SIGSEGV.  Measured with strace on a driver whose backend broke:
``write(15, "cmd=barrier_in\\n", 15) = 15``, ``read(15, "", 1023) = 0``,
``SIGSEGV {si_addr=0xffffffffffffffff}``, in PMPI_Finalize called from
``Py_FinalizeEx`` (gdb).  Keeping the process manager alive does not help:
once one of its ranks died, gforker signals its own process group in a busy
loop and never answers, so the barrier waits forever (measured: the driver
hung until killed).  MPI_Finalize is collective over all connected
processes; with the spawned ranks dead, this process cannot finalize MPI.

So the driver imports mpi4py through ``import_mpi``, which turns mpi4py's own
finalization off (``mpi4py.rc.finalize = False``, read when mpi4py.MPI is
first imported) and finalizes MPI itself in an ``atexit`` handler, unless the
process manager is lost: then the process ends without MPI_Finalize, as the
program it is (the exit status of its exception, 130 / -SIGINT after Ctrl-C,
0 after a caught WorkerError).  Its MPICH shared-memory file, which
MPI_Finalize would have removed, is removed by the backend's close
(``kernels.mpi.segments``).

Where mpi4py.MPI was imported before (by the program, or by a launcher in
``kernels.mpi.world``, where the launcher owns the job), or ``mpi4py.rc.finalize``
or ``MPI4PY_RC_FINALIZE`` were set, mpi4py keeps finalizing as configured.
"""

import atexit
import os
import sys

#: True once this module turned mpi4py's finalization off and finalizes MPI itself.
_owned = False


def import_mpi():
    """``mpi4py.MPI``, imported (MPI starts) with finalization at exit left to this module.

    Raises what importing mpi4py.MPI raises (ImportError, RuntimeError, OSError
    where the MPI library cannot be loaded).
    """
    global _owned
    import mpi4py  # a package blocked in sys.modules (None) raises ImportError here

    if "mpi4py.MPI" in sys.modules:
        from mpi4py import MPI

        return MPI

    take = mpi4py.rc.finalize is None and "MPI4PY_RC_FINALIZE" not in os.environ
    if take:
        mpi4py.rc.finalize = False
    try:
        from mpi4py import MPI
    except BaseException:
        if take:
            mpi4py.rc.finalize = None
        raise
    if take and not _owned:
        _owned = True
        # Registered before the backend's own atexit handler (which closes open
        # backends: STOP to the ranks), so it runs after it.
        atexit.register(_finalize_at_exit)
    return MPI


def owns_finalize():
    """True where this module, not mpi4py, finalizes MPI at exit."""
    return _owned


def _finalize_at_exit():
    from . import spawn

    MPI = sys.modules.get("mpi4py.MPI")  # the module MPI started with, however mpi4py is now
    if MPI is None:
        return

    if spawn.process_manager_lost():
        return  # MPI_Finalize would crash (or hang): see the module docstring
    if MPI.Is_initialized() and not MPI.Is_finalized():
        MPI.Finalize()
