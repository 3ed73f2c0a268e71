#!/usr/bin/env bash
# The main job on a fresh machine: install, asv over the default sizes, the site, the plots.
# PARBENCH_SIZES=quick (and the other switches in measuring/settings.py) pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
# each step's start and end, for the run's record of its phases (measuring/phases.py)
steps_file=$(mktemp -t parbench-steps.XXXXXX)
step() { echo "$1 $2 $(date +%s.%N)" >>"$steps_file"; }
cleanup=(rm -f "$steps_file")
trap '"${cleanup[@]}"' EXIT
step install start
bash scripts/bootstrap.sh
step install end
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
trap 'kill "$follower" 2>/dev/null; rm -f "$progress_file" "$steps_file"' EXIT
step "asv run" start
# asv runs every benchmark but those whose numbers the paired measurement holds; those
# are written into asv's results from it, not read back by an asv process each
# (measuring/asv_store.py says why and how)
asv run --machine "$machine" -b "$(python -m measuring.asv_store --regex)" "$@"
python -m measuring.asv_store --machine "$machine" --commit "$(git rev-parse HEAD)"
step "asv run" end
step publish start
asv publish
step publish end
# html/ works with no network: the vendored JS/CSS into html/vendor/, the CDN links pointed there
step site start
python scripts/offline_site.py html
step site end
step plots start
python -m benchmarks.plot --machine "$machine"
step plots end
# where headless Chromium is installed: the site's index and graph page, checked, as PNGs
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    step screenshots start
    # a failed check is reported, not fatal: the results and plots are already written
    python scripts/site_browser.py html --out "plots/$machine" ||
        echo "run-all: the site screenshots did not pass their check (see above)" >&2
    step screenshots end
fi
# the run's record: wall time and each phase against its budget, beside asv's result file
commit=$(git rev-parse HEAD | cut -c1-8)
result=$(ls -t "results/$machine/$commit"-*.json 2>/dev/null | head -n 1 || true)
if [ -n "$result" ]; then
    python -m measuring.phases --record "$steps_file" --result "$result" \
        --out "results/runs/$machine/$(basename "$result")" \
        --machine "$machine" --commit "$commit" --env "$(basename "$result" .json | cut -d- -f2-)"
fi
