"""Submit the README's batch recipe (cluster/job.sbatch) with ``sbatch`` on the test cluster.

    bash scripts/testcluster.sh up
    python -m cluster.slurm_job [--out measurements/multihost/slurm] [--quick]

Runs ``sbatch --wait`` on pbnode1 (the job's 2 nodes: pbnode1 and pbnode2),
then copies what the job wrote: its log (``slurm-JOBID.out``: nodes, start and
end times, the kernels' summary line) and its results (``slurm-JOBID.json``,
as ``cluster.kernels_run`` writes them, with the host layout), and writes
job.json: job id, the sbatch command, seconds from submission to the end of
``sbatch --wait``, and the job's record from ``scontrol show job``.

The cluster's ``HYDRA_LAUNCHER_EXTRA_ARGS`` (its ssh config, for mpiexec outside
SLURM) must not reach the job: inside an allocation hydra launches with srun,
which would read that ``-F`` as its node file.  Nor does this process's
``UCX_TLS``: the job sets its own (job.sbatch).  Exit status 3 where the cluster
or its SLURM is not up; sbatch's status otherwise.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from .testbed import ROOT, SCRIPT, Cluster

JOB = ROOT / "cluster" / "job.sbatch"


def _on_cluster(argv, **kwargs):
    """``argv`` on pbnode1 with the cluster's SLURM_CONF, without HYDRA_LAUNCHER_EXTRA_ARGS
    and without this process's UCX_TLS (sbatch would pass a UCX_TLS of this process to
    the job, and job.sbatch keeps one it is given; the spawned mpi backend takes the
    ``sm,self`` it sets out of the environment again once its ranks started)."""
    unset = ["-u", "HYDRA_LAUNCHER_EXTRA_ARGS", "-u", "UCX_TLS"]
    cmd = ["bash", str(SCRIPT), "exec", "--", "env", *unset, *argv]
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def submit(out_dir, job_args="", timeout=600):
    """Run the job to its end; return job.json's dict.  RuntimeError if sbatch fails."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    argv = ["sbatch", "--wait", f"--chdir={ROOT}", f"--output={out_dir}/slurm-%j.out"]
    argv += [f"--export=ALL,PARBENCH_JOB_DIR={out_dir}"]
    if job_args:  # no commas: --export splits on them
        argv[-1] += f",PARBENCH_JOB_ARGS={job_args}"
    argv.append(str(JOB))
    t0 = time.perf_counter()
    done = _on_cluster(argv, timeout=timeout)
    wall = time.perf_counter() - t0
    m = re.search(r"Submitted batch job (\d+)", done.stdout)
    if done.returncode != 0 or m is None:
        raise RuntimeError(f"sbatch failed ({done.returncode}): {done.stdout}{done.stderr}")
    job_id = m.group(1)
    log = (out_dir / f"slurm-{job_id}.out").read_text()
    stamps = re.findall(r"(?:start|end) (\d+):(\d+):(\d+\.\d+)", log)
    secs = [int(h) * 3600 + int(mi) * 60 + float(s) for h, mi, s in stamps]
    shown = _on_cluster(["scontrol", "show", "job", job_id], timeout=60).stdout
    record = dict(re.findall(r"(\w+)=(\S+)", shown))
    keep = ("JobState", "ExitCode", "NodeList", "NumNodes", "NumTasks", "SubmitTime")
    keep += ("StartTime", "EndTime", "RunTime")
    return {
        "job_id": job_id,
        "sbatch": argv,
        "submit_to_end_s": wall,
        # the batch script's own start-to-end (its log's stamps; None if it did not end)
        "script_s": secs[1] - secs[0] if len(secs) == 2 else None,
        "scontrol": {k: record[k] for k in keep if k in record},
        "log": f"slurm-{job_id}.out",
        "results": f"slurm-{job_id}.json",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "measurements" / "multihost" / "slurm"))
    parser.add_argument("--quick", action="store_true", help="small sizes (tests)")
    ns = parser.parse_args(argv)
    cluster = Cluster.load()
    if cluster is None or cluster.slurm != "ok":
        why = "down" if cluster is None else f"up, SLURM {cluster.slurm}"
        print(
            f"slurm_job: the test cluster is {why}: bash scripts/testcluster.sh up", file=sys.stderr
        )
        return 3
    job = submit(ns.out, "--matvec 256 --sum 65536" if ns.quick else "")
    (Path(ns.out) / "job.json").write_text(json.dumps(job, indent=1) + "\n")
    print(
        f"slurm_job: job {job['job_id']} {job['scontrol'].get('JobState')}: script"
        f" {job['script_s']} s, sbatch --wait {job['submit_to_end_s']:.1f} s; {ns.out}/{job['log']}"
    )
    return 0 if job["scontrol"].get("JobState") == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main())
