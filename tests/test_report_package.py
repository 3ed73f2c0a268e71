"""benchmarks.report as a package: what importing it loads, and its size limits.

asv imports every module under ``benchmarks/`` (subpackages included) during
benchmark discovery, in an environment without matplotlib or jinja2, and takes any
function named like a benchmark for one.  The report must also load no backend:
it reads only asv's JSON and ``kernels.facts``.
"""

import ast
import importlib
import inspect
import json
import pathlib
import pkgutil
import re
import sys

from benchmarks import report

from .report_data import REPO, run_python

PACKAGE = pathlib.Path(report.__file__).parent
MODULES = ["benchmarks.plot", "benchmarks.compare"] + [
    m.name for m in pkgutil.walk_packages(report.__path__, "benchmarks.report.")
]
#: asv's benchmark names (asv_runner.benchmarks: time, timeraw, mem, peakmem, track)
ASV_NAME = re.compile(
    r"^((Time|Timeraw|Mem|PeakMem|Track)[A-Z_].+|(time|timeraw|mem|peakmem|"
    r"track)_.+)$"
)
#: modules a backend brings in: its own module in kernels, or its library
BACKEND_WORDS = (
    "backend",
    "worker",
    "numba",
    "opencl",
    "mpi",
    "multiprocessing",
    "cython",
    "openmp",
)
BACKEND_LIBRARIES = {"numba", "pyopencl", "mpi4py", "Cython", "threadpoolctl", "psutil"}

_IMPORT_ALL = """
import importlib, json, sys
{prelude}
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""
#: not installed in asv's environment: matplotlib (the figures), jinja2 and its markupsafe
#: (report.html)
OPTIONAL = ("matplotlib", "jinja2", "markupsafe")
_BLOCK_OPTIONAL = f"""
class BlockOptional:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {OPTIONAL!r}:
            raise ImportError(name + " is not installed in asv's environment")
sys.meta_path.insert(0, BlockOptional())
"""


def _loaded_after_import(prelude=""):
    proc = run_python("-c", _IMPORT_ALL.format(prelude=prelude, modules=MODULES), timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_modules_listed():
    assert {
        "benchmarks.report.results",
        "benchmarks.report.series",
        "benchmarks.report.tables",
        "benchmarks.report.figures",
        "benchmarks.report.page",
        "benchmarks.report.cli",
        "benchmarks.report.records",
        "benchmarks.report.compare",
    } <= set(MODULES)


def test_every_module_imports_without_matplotlib_or_jinja2():
    loaded = _loaded_after_import(_BLOCK_OPTIONAL)
    assert set(MODULES) <= set(loaded)
    assert not [m for m in loaded if m.split(".")[0] in OPTIONAL]


def test_with_jinja2_blocked_the_page_says_what_is_missing():
    code = (
        "import sys\n"
        + _BLOCK_OPTIONAL
        + """
from benchmarks.report import page
try:
    page.render(None, [])
except ImportError as exc:
    print(exc)
"""
    )
    proc = run_python("-c", code, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "jinja2 writes report.html: pip install -r requirements.txt" in proc.stdout


def test_import_loads_no_backend():
    loaded = _loaded_after_import()
    assert "kernels.facts" in loaded
    ours = [m for m in loaded if m.startswith("kernels.")]
    assert not [m for m in ours if any(w in m.lower() for w in BACKEND_WORDS)], ours
    assert not [m for m in loaded if m.split(".")[0] in BACKEND_LIBRARIES]


def _top_level_imports(tree):
    """(module, level) of every import not inside a function or class."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.body = []  # imports in there run only when called
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


#: the modules of the packages beside the report that it may import at top level: each
#: imports only the standard library, numpy and kernels.facts itself (checked below)
LIGHT_MODULES = (
    "kernels.facts",
    "measuring.intervals",
    "measuring.figures",
    "measuring.stopping",
)


def _light(module, level):
    root = module.split(".")[0]
    return (
        level > 0 or module in LIGHT_MODULES or root == "numpy" or root in sys.stdlib_module_names
    )


def test_top_level_imports_are_stdlib_numpy_and_light_modules():
    entries = [PACKAGE.parent / "plot.py", PACKAGE.parent / "compare.py"]
    light = [pathlib.Path(REPO) / (m.replace(".", "/") + ".py") for m in LIGHT_MODULES]
    for path in sorted(PACKAGE.rglob("*.py")) + entries + light:
        for module, level in _top_level_imports(ast.parse(path.read_text())):
            assert _light(module, level), f"{path.relative_to(REPO)} imports {module} at top level"


def test_asv_finds_no_benchmark_in_the_report():
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_"):
                continue
            if inspect.isfunction(value):
                assert not ASV_NAME.match(attr), f"{name}.{attr}"
            elif inspect.isclass(value):
                methods = [m for m, v in inspect.getmembers(value) if inspect.isfunction(v)]
                assert not [m for m in methods if ASV_NAME.match(m)], f"{name}.{attr}"


def test_module_and_function_sizes():
    for path in sorted(PACKAGE.rglob("*.py")) + [PACKAGE.parent / "compare.py"]:
        text = path.read_text()
        assert len(text.splitlines()) <= 400, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path.name}:{node.name} has {length} lines"
