import pytest

from kernels import BACKENDS, BackendUnavailable, get_backend
from kernels.validate import default_workers

WORKERS = default_workers()
_reasons = {}


def open_or_skip(name, workers=WORKERS, dtype="float64"):
    """Open a backend, or skip the test with the reason it cannot run here."""
    try:
        be = get_backend(name, workers=workers, dtype=dtype).open()
    except BackendUnavailable as exc:
        pytest.skip(f"{name} unavailable here: {exc}")
    return be


@pytest.fixture(scope="module", params=[(b, d) for b in BACKENDS for d in ("float64", "float32")],
                ids=lambda p: f"{p[0]}-{p[1]}")
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
