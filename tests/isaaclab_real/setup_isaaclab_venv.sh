#!/usr/bin/env bash
# Build the test-only venv holding Isaac Lab 2.3.0's pure-Python code (no Isaac Sim).
#
# Why: the Isaac Lab backend cannot run here (no RTX GPU, no NVIDIA package index), but the
# parts of Isaac Lab that decide whether our adapter's config is accepted (the managers'
# term checks, the config classes) are plain Python in the `isaaclab` 2.3.0 wheel on PyPI.
# It is installed WITHOUT its dependencies (they include Isaac Sim); what those modules
# import at top level is installed here: CPU torch 2.13.0 (the only torch this project may
# install), numpy<2 (Isaac Lab 2.3 pins it) and prettytable; and pydantic (the product's range
# in pyproject.toml), which our adapter's config is.
# Isaac Sim's own modules (omni.*, warp, the USD-backed asset/scene classes) get stand-ins in
# tests/isaaclab_real/probe.py.
# Idempotent: a stamp file makes a second run instant.
set -euo pipefail

VENV="${ISAACLAB_TEST_VENV:-$HOME/.cache/leisaac-dashboard/isaaclab-venv}"
PYTHON="${ISAACLAB_TEST_PYTHON:-python3.11}"
RECIPE_VERSION="isaaclab2.3.0-torch2.13.0-numpy1-pydantic2-r2"
STAMP="$VENV/.leisaac-isaaclab-ready"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$RECIPE_VERSION" ]]; then
    exit 0
fi
log() { echo "[setup_isaaclab_venv] $*" >&2; }

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv at $VENV with $PYTHON"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --quiet)
CONSTRAINTS="$VENV/constraints.txt"
echo "torch==2.13.0" >"$CONSTRAINTS"

log "installing torch 2.13.0 (CPU), numpy<2, prettytable, pydantic"
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" -c "$CONSTRAINTS" "numpy>=1.26,<2" "prettytable>=3,<4" "pydantic>=2.7,<3"
log "installing isaaclab 2.3.0 without dependencies"
"${PIP[@]}" --no-deps isaaclab==2.3.0

echo "$RECIPE_VERSION" >"$STAMP"
log "ready: $VENV"
