"""Which backends run here: ``backend_report()``, for ``python -m kernels`` and run settings."""

from .base import BackendUnavailable
from .registry import BACKENDS, get_backend


def backend_report(workers=None, dtype="float64"):
    """[(name, available: bool, details: dict or reason str)] for every registry name.

    Opens and closes each backend (starting its processes/context briefly).
    """
    rows = []
    for name in BACKENDS:
        try:
            with get_backend(name, workers=workers, dtype=dtype) as be:
                rows.append((name, True, be.describe()))
        except BackendUnavailable as exc:
            rows.append((name, False, str(exc)))
        except Exception as exc:  # a broken backend must not hide the others' lines
            rows.append((name, False, f"open() failed: {type(exc).__name__}: {exc}"))
    return rows
