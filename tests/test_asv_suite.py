"""A quick asv run of the whole suite ends with a number for every backend x N."""
import json
import math
import os
import pathlib
import subprocess
import sys

import psutil
import pytest

from kernels import BACKENDS, BackendUnavailable, get_backend

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _available(name):
    try:
        with get_backend(name):  # default workers: PoCL fixes its thread count at first use
            return True
    except BackendUnavailable:
        return False


def _asv(args, env, cwd):
    exe = pathlib.Path(sys.executable).with_name("asv")
    return subprocess.run([str(exe), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=1200)


@pytest.mark.timeout(1500)
def test_quick_asv_run_has_no_failed_or_skipped_benchmark(tmp_path):
    conf = json.loads("\n".join(line for line in (ROOT / "asv.conf.json").read_text().splitlines()
                                if not line.lstrip().startswith("//")))
    conf.update(repo=str(ROOT), benchmark_dir=str(ROOT / "benchmarks"),
                results_dir=str(tmp_path / "results"), html_dir=str(tmp_path / "html"),
                env_dir=str(tmp_path / "env"))
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    tag = f"{os.getpid()}-{tmp_path.name}"  # inherited by every process the run starts
    env = {**os.environ, "HOME": str(tmp_path), "PARBENCH_SIZES": "quick", "PARBENCH_TEST_TAG": tag}

    r = _asv(["machine", "--yes", "--machine", "ci"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    r = _asv(["run", "--python=same", "--set-commit-hash", "HEAD", "--machine", "ci",
              "--show-stderr"], env, tmp_path)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]

    files = [f for f in (tmp_path / "results" / "ci").glob("*.json") if f.name != "machine.json"]
    assert len(files) == 1, files
    data = json.loads(files[0].read_text())
    col = data["result_columns"].index("result")
    kernel_rows = {k: v for k, v in data["results"].items() if k.startswith("suite.")}
    expected = {"MatVec", "MatVecEndToEnd", "MatVecSerial", "VectorSum", "VectorSumEndToEnd",
                "VectorSumSerial"}
    assert {k.split(".")[1] for k in kernel_rows} == expected
    unavailable = [b for b in BACKENDS if not _available(b)]
    for name, row in kernel_rows.items():
        values = row[col]
        assert values, name
        failed = [i for i, v in enumerate(values) if v is None]
        assert not failed, f"{name}: failed entries {failed}\n{r.stdout[-4000:]}"
        if not unavailable:
            skipped = [i for i, v in enumerate(values) if isinstance(v, float) and math.isnan(v)]
            assert not skipped, f"{name}: skipped entries {skipped}"
        assert all(v > 0 for v in values if v is not None and not math.isnan(v)), name

    # no process started by the run outlives it
    assert not processes_tagged(tag)


def processes_tagged(tag):
    """Command lines of live processes whose environment carries PARBENCH_TEST_TAG=tag."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if p.environ().get("PARBENCH_TEST_TAG") == tag:
                found.append(p.info["cmdline"])
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def test_leak_check_sees_a_leaked_process():
    """The leftover-process check above must be able to fail."""
    tag = f"leak-check-{os.getpid()}"
    proc = subprocess.Popen(["sleep", "30"], env={**os.environ, "PARBENCH_TEST_TAG": tag})
    try:
        assert processes_tagged(tag)
    finally:
        proc.kill()
        proc.wait()
    assert not processes_tagged(tag)
