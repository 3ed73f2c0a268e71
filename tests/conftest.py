"""Fixtures shared by the test files; plain helpers are in tests/helpers.py."""

import os
import pathlib
import time

import pytest

from kernels import BACKENDS

from .helpers import open_or_skip


@pytest.fixture(
    scope="module",
    params=[(b, d) for b in BACKENDS for d in ("float64", "float32")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def backend(request):
    """One open backend per (name, dtype) for the whole module; closed afterwards."""
    name, dtype = request.param
    be = open_or_skip(name, dtype=dtype)
    yield be
    be.close()


@pytest.fixture
def asv_results(tmp_path):
    """A synthetic asv results directory (``tests.report_data.write_results``)."""
    from .report_data import write_results

    return write_results(tmp_path)


def _mpich_segments():
    try:
        return {f for f in os.listdir("/dev/shm") if f.startswith("mpich_shm_")}
    except OSError:
        return set()


def _mapped_shm():
    """Names of the MPICH segments any process maps now."""
    import psutil

    from kernels.mpi.segments import mapped_segments

    return {os.path.basename(path) for path in mapped_segments(psutil.pids())}


@pytest.fixture
def remove_leaked_mpich_segments():
    """Unlink the /dev/shm segments that killed MPI drivers of a test left behind.

    MPICH cannot unlink its ~1 MB shared-memory segments when its process dies of
    a signal (SIGKILL, SIGTERM from asv, or the SIGSEGV in MPI_Finalize after a
    rank died).  Only segments that appeared during the test, that no process maps
    and that are older than 0.5 s (MPICH maps a segment right after creating it)
    are removed, so other runs on this machine keep theirs.  Used by the files
    whose tests kill MPI drivers or ranks (``pytestmark = usefixtures(...)``).
    """
    before = _mpich_segments()
    yield
    new = _mpich_segments() - before
    if not new:
        return
    time.sleep(0.5)
    for name in new - _mapped_shm():
        path = pathlib.Path("/dev/shm", name)
        try:
            if time.time() - path.stat().st_mtime > 0.5:
                path.unlink()
        except OSError:
            pass
