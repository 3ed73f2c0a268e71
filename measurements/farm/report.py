"""Figures and summary of a farm-only asv run (``--bench taskfarm``), for measurements/farm/.

    python measurements/farm/report.py RESULTS_DIR OUT_DIR

``python -m benchmarks.plot`` reports a run with kernel timings; a run of the farm
benchmarks alone has none, so this script draws the same farm figures
(``benchmarks.report.farm_figures``) and writes the same "Task farm" table
(``benchmarks.report.farm``) of the newest run under RESULTS_DIR, as PNG and
``summary.md`` in OUT_DIR.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from benchmarks.report import farm, farm_figures  # noqa: E402
from benchmarks.report.results import Run, find_runs, select_runs  # noqa: E402


def main(results_dir, out_dir):
    (header,) = select_runs(find_runs(results_dir))
    run = Run(header, results_dir)
    os.makedirs(out_dir, exist_ok=True)
    farm_figures.save_figures(run, out_dir, ["png"], sys.stdout)
    text = f"# Task farm: asv run of commit {run.commit[:8]} ({header['path']})\n"
    text += farm.markdown(run)
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
