#!/usr/bin/env bash
# One command from a fresh clone to the main job: system packages, npm dependencies and the native
# build, then the demo on the embedded default (synthetic data, a small BLIP, UniAdapter training).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci
npm run demo -- "$@"
