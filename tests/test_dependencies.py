"""One list of dependencies: requirements.txt, its groups as the package's extras, asv's pins.

requirements.txt is read by scripts/bootstrap.sh (as it is) and by setup.py (its
"# [group]" sections become install_requires and the extras); asv.conf.json's
benchmark environment is a third place a version is written, so it is checked
here.  The last test installs ``.[all]`` the usual Python way into a fresh virtual
environment and asks ``python -m kernels``, from outside the source tree, whether
all seven backends run.
"""

import os
import re
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
from asv import util as asv_util

from kernels.registry import BACKENDS

REPO = Path(__file__).resolve().parents[1]
#: the distributions a user's run imports, by the extra that must bring them
NEEDED = {
    "backends": {"numba", "pyopencl", "pocl-binary-distribution", "mpi4py", "mpich"}
    | {"ipyparallel", "pyzmq"},
    "runner": {"asv", "scipy"},
    "report": {"matplotlib", "jinja2"},
}


def _pins():
    """{normalised name: version} of the '==' lines of requirements.txt."""
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared():
    """{extra or "core": {normalised name: specifier}} of the installed parbench's metadata."""
    out = {}
    for req in metadata.requires("parbench") or []:
        spec, _, marker = req.partition(";")
        m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", spec)
        extra = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", marker)
        group = extra.group(1) if extra else "core"
        out.setdefault(group, {})[_norm(m.group(1))] = m.group(2).strip().replace(" ", "")
    return out


def test_extras_bring_every_dependency_a_run_needs():
    declared = _declared()
    for extra, names in NEEDED.items():
        assert names <= set(declared.get(extra, {})), (extra, names - set(declared.get(extra, {})))
        assert names <= set(declared["all"]), names - set(declared["all"])
    assert {"numpy", "threadpoolctl", "psutil"} <= set(declared["core"])
    assert {"pytest", "ruff", "cython"} <= set(declared["dev"])


def test_extras_pin_the_versions_of_requirements_txt():
    pins = _pins()
    for group, reqs in _declared().items():
        for name, spec in reqs.items():
            if name in pins:
                assert spec == f"=={pins[name]}", (group, name, spec, pins[name])


def test_asv_environment_pins_the_same_versions():
    conf = asv_util.load_json(REPO / "asv.conf.json", js_comments=True)
    matrix = {_norm(k): v for k, v in conf["matrix"]["req"].items()}
    pins = _pins()
    for name, versions in matrix.items():
        assert versions == [pins[name]], (name, versions, pins.get(name))
    # every distribution the benchmarks import in asv's environment is pinned there
    runtime = set(_declared()["core"]) | NEEDED["backends"] | {"scipy"}
    assert runtime <= set(matrix), runtime - set(matrix)


def _tracked_copy(dest):
    """The files git tracks, copied to ``dest`` (what a fresh clone holds)."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, names):
        src, dst = REPO / os.fsdecode(name), dest / os.fsdecode(name)
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    return dest


@pytest.mark.timeout(1500)
def test_pip_install_all_gives_every_backend(tmp_path):
    """``pip install ".[all]"`` in a fresh venv, then ``python -m kernels`` from outside the
    source tree: seven backends available.  Slow (a few minutes: it builds the wheel and
    installs every dependency, from pip's cache where it has them)."""
    src = _tracked_copy(tmp_path / "src")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", f"{src}[all]"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [python, "-m", "kernels"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    print(proc.stdout)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    available = {line.split()[0] for line in lines if line.split()[1:2] == ["available"]}
    assert available == set(BACKENDS) and len(BACKENDS) == 7, proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the installed package, not the source tree, answered
    where = subprocess.run(
        [python, "-c", "import kernels; print(kernels.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where and str(src) not in where, where
    assert sys.executable != python
