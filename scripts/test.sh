#!/usr/bin/env bash
# The tests on a fresh machine: install, then pytest (unit, fault and quick-asv tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/python -m pytest "$@"
