#!/usr/bin/env bash
# The main job on a fresh machine: install, asv over the default sizes, the site, the plots.
# PARBENCH_SIZES=quick (and the other switches in measuring/settings.py) pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
source .venv/bin/activate
# the results folder is named by the hardware (measuring/machine.py), never by the host
# name alone; PARBENCH_MACHINE=<name> chooses another name
export PARBENCH_MACHINE=${PARBENCH_MACHINE:-$(python -m measuring.machine)}
machine=$PARBENCH_MACHINE  # also names the paired measurement's records (measuring/process_records.py)
asv machine --yes --machine "$machine" --cpu "$(python -m measuring.machine --cpu)"
# asv shows a benchmark's output only when it ends, and the paired measurement is one
# setup_cache of most of the run: its progress goes to a file that a follower prints
# here every 30 s (measuring/progress.py)
progress_file=$(mktemp -t parbench-progress.XXXXXX)
export PARBENCH_PROGRESS=$progress_file
python -m measuring.progress "$progress_file" --while-pid $$ &
follower=$!
trap 'kill "$follower" 2>/dev/null; rm -f "$progress_file"' EXIT
asv run --machine "$machine" "$@"
asv publish
# html/ works with no network: the vendored JS/CSS into html/vendor/, the CDN links pointed there
python scripts/offline_site.py html
python -m benchmarks.plot --machine "$machine"
# where headless Chromium is installed: the site's index and graph page, checked, as PNGs
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    # a failed check is reported, not fatal: the results and plots are already written
    python scripts/site_browser.py html --out "plots/$machine" ||
        echo "run-all: the site screenshots did not pass their check (see above)" >&2
fi
