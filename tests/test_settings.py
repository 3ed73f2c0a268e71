"""measuring.settings: the PARBENCH_* switches, read once into one Settings object."""

import json

import pytest

from measuring.settings import PAIRED_BUDGET_S, PAIRED_DEFAULTS, SIZES, Settings


def test_defaults_without_switches():
    s = Settings.from_environment({})
    assert (s.size_set, s.backends, s.workers, s.dtype) == ("default", None, None, "float64")
    assert (s.processes, s.rounds) == PAIRED_DEFAULTS["default"]
    assert s.sizes("matvec") == SIZES["default"]["matvec"]


def test_every_switch_is_read():
    s = Settings.from_environment(
        {
            "PARBENCH_SIZES": "quick",
            "PARBENCH_BACKENDS": "mpi, numpy",
            "PARBENCH_WORKERS": "1",
            "PARBENCH_DTYPE": "float32",
            "PARBENCH_PROCESSES": "8",
            "PARBENCH_ROUNDS": "3",
        }
    )
    assert s == Settings("quick", ("mpi", "numpy"), 1, "float32", 8, 3, PAIRED_BUDGET_S["quick"])
    # registry order, whatever order the switch names them in
    assert s.selected_backends(["numpy", "numba", "mpi"]) == ["numpy", "mpi"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PARBENCH_SIZES": "huge"}, "PARBENCH_SIZES=.huge.; choose one of default, quick, full"),
        ({"PARBENCH_DTYPE": "int8"}, "PARBENCH_DTYPE='int8'"),
        ({"PARBENCH_WORKERS": "0"}, "PARBENCH_WORKERS=0: at least 1 worker"),
        ({"PARBENCH_WORKERS": "two"}, "PARBENCH_WORKERS='two': not a whole number"),
        ({"PARBENCH_PROCESSES": "5"}, "PARBENCH_PROCESSES=5: .* at least 6 processes"),
        ({"PARBENCH_ROUNDS": "0"}, "PARBENCH_ROUNDS=0: at least 1 round"),
        ({"PARBENCH_PAIRED_BUDGET": "0"}, "PARBENCH_PAIRED_BUDGET=0.0: seconds > 0"),
        ({"PARBENCH_PAIRED_BUDGET": "soon"}, "PARBENCH_PAIRED_BUDGET='soon': not a number"),
    ],
)
def test_a_bad_switch_is_a_clear_error(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_environment(env)


def test_unknown_backend_names_the_known_ones():
    s = Settings.from_environment({"PARBENCH_BACKENDS": "numpy,dask"})
    with pytest.raises(ValueError, match=r"unknown backends \['dask'\]; known: numpy, mpi"):
        s.selected_backends(["numpy", "mpi"])


def test_settings_survive_json_as_a_measuring_process_gets_them():
    s = Settings("quick", ("numpy",), 2, "float32", 6, 1)
    assert Settings.from_dict(json.loads(json.dumps(s.as_dict()))) == s
