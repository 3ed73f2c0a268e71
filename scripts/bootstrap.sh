#!/usr/bin/env bash
# Creates .venv (if missing) with every dependency from PyPI and parbench itself
# (editable, so the Cython+OpenMP extension is built in place).  No root needed.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-build-isolation -e .
echo "parbench: .venv ready ($(.venv/bin/python --version))"
