#!/usr/bin/env bash
# The test suite: set up, then `python -m pytest` (extra arguments are passed through,
# e.g. `bash scripts/test.sh tests/test_checks.py -q`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
exec .venv/bin/python -m pytest "$@"
