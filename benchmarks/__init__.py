"""parbench's asv suite: asv's benchmark modules only (the measuring is the ``measuring`` package).

Importing this package first makes ``measuring`` importable (``importable_from_checkout``),
so every module of the suite can import it at its top.
"""

import os
import sys

#: the checkout that holds this suite (its packages serve where the environment lacks them)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def importable_from_checkout(package):
    """Make ``package`` (farm, measuring) importable here and in every worker this run starts.

    A fresh install has it (setup.py); an environment built from a commit older than
    the package does not, so the checkout that holds this suite serves it, appended
    to sys.path here and to PYTHONPATH for the workers (ipyparallel engines, MPI
    ranks).  Appended, so an installed copy still comes first.
    """
    import importlib.util

    if importlib.util.find_spec(package) is None:
        sys.path.append(ROOT)
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        os.environ["PYTHONPATH"] = os.pathsep.join([*paths, ROOT])


importable_from_checkout("measuring")
