"""The mpi backend on ranks placed by an MPI launcher: mpiexec -n P python -m kernels.mpi.world."""
import pathlib
import subprocess
import sys
import textwrap

import pytest

MPIEXEC = pathlib.Path(sys.executable).with_name("mpiexec")
pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(not MPIEXEC.exists(), reason=f"no mpiexec beside {sys.executable}")]


def _launch(tmp_path, body, n=2):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run([str(MPIEXEC), "-n", str(n), sys.executable, "-m", "kernels.mpi.world",
                           str(script), "--an-arg"], capture_output=True, text=True, timeout=90,
                          cwd=tmp_path, start_new_session=True)


def test_script_uses_the_launched_ranks(tmp_path):
    r = _launch(tmp_path, """
        import sys
        from kernels import get_backend
        from kernels.verify import check_matvec, check_sum, make_inputs
        for _ in range(2):  # two backends, one after the other, on the same ranks
            with get_backend("mpi") as be:
                for n in (0, 1, 2, 3, 1025):
                    A, x, a = make_inputs(n)
                    check_matvec(be.matvec(be.put(A), x), A, x, "mpi")
                    check_matvec(be.matvec(A, x), A, x, "mpi")
                    check_sum(be.vector_sum(be.put(a)), a, "mpi")
        print("workers", be.workers, "argv", sys.argv[1:])
    """, n=3)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "workers 3 argv ['--an-arg']" in r.stdout


def test_wrong_worker_count_and_a_failing_script_end_the_run(tmp_path):
    r = _launch(tmp_path, """
        from kernels import get_backend
        get_backend("mpi", workers=5).open()
    """)
    assert r.returncode != 0
    assert "has 2 ranks: open it with workers=2" in r.stderr
