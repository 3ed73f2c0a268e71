#!/usr/bin/env bash
# The main job on a fresh machine: install, asv over the default sizes, the site, the plots.
# PARBENCH_SIZES=quick (and the other switches in benchmarks/common.py) pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
source .venv/bin/activate
asv machine --yes
asv run "$@"
asv publish
python -m benchmarks.plot
