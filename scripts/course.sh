#!/usr/bin/env bash
# The main job: set up, then build the whole course (execute every solution notebook with
# training, check its tests and accuracy target, regenerate the release, write HTML, print
# the summary table). Extra arguments go to `python -m coursebuild build` (e.g. 02 03).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m coursebuild build "$@"
