#!/usr/bin/env bash
# The fleet benchmark's 16-core run: the record anchor and fleets of 1, 2, 4, 8 and 15 workers
# (bench/fleet.py), at 128x96 (CPU-only MuJoCo workers rendering with MUJOCO_GL, EGL by
# default: on a GPU machine with NVIDIA's EGL vendor library that is the GPU). About 3-4 min
# of a 16-core machine with the defaults; a hard limit of 11 min keeps it inside a quarter
# hour. Writes fleet_16core.json, the printed table and the machine's description to $OUT
# (else bench/results).
#
#   bash bench/fleet_gpu.sh            the run (needs a Python with this package, Ray, MuJoCo
#                                      and PyAV: $PY, else .venv/bin/python, else python3)
#   bash bench/fleet_gpu.sh dry-run    here: the same steps with tiny counts (1 and 2 workers)
#
# It checks its Python first and stops at once, naming what is missing, so no device time
# goes on a run that cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-bench/results}
mkdir -p "$OUT"
PY=${PY:-}
if [[ -z $PY ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

missing=$("$PY" - <<'PY'
import importlib.util
need = ["ray", "mujoco", "av", "pyarrow", "pydantic", "simplejpeg", "numpy"]
print(" ".join(n for n in need if importlib.util.find_spec(n) is None))
PY
)
if [[ -n $missing ]]; then
  echo "fleet_gpu.sh: $PY lacks: $missing (install this package with its fleet extra first:" \
    "pip install -e '.[fleet]')" >&2
  exit 3
fi

{
  date -u
  uptime
  lscpu | grep -E '^(Model name|CPU\(s\))'
  nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
  echo "MUJOCO_GL=${MUJOCO_GL:-egl (default)}"
} > "$OUT/fleet_16core_machine.txt"

case ${1:-run} in
  run)
    args=(--episodes 60 --per-worker 20 --workers 1 2 4 8 15)
    limit=660 ;;
  dry-run)
    args=(--episodes 3 --per-worker 2 --workers 1 2)
    limit=300 ;;
  *)
    echo "usage: bash bench/fleet_gpu.sh [run|dry-run]" >&2
    exit 2 ;;
esac
timeout "$limit" "$PY" bench/fleet.py "${args[@]}" --out "$OUT/fleet_16core.json" 2>&1 \
  | grep -v 'authentication_token_setup' | tee "$OUT/fleet_16core.txt"
cat "$OUT/fleet_16core_machine.txt"
