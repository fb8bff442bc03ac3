#!/usr/bin/env bash
# Build the lerobot environment: a venv with lerobot 0.4.4 + CPU torch, where the compat tests
# run lerobot's own dataset reader, and where bench/learning.py trains policies with
# `lerobot-train` and serves them with `leisaac-dashboard policy serve --policy` (run as
# `python -m server.cli` with a checkout on PYTHONPATH: `pip install leisaac-dashboard` into
# it cannot resolve, since we need huggingface-hub >= 1 and lerobot 0.4.4 < 0.36).
#
# Why a separate venv: the product must never need torch or lerobot; the compat tests prove
# that what we write loads in lerobot's own LeRobotDataset. The recipe follows
# /work/shared/reference/lerobot-v3.md (the only CPU torch for Python 3.11 here is 2.13.0).
# Idempotent: a stamp file makes a second run instant. Works on a fresh Debian machine
# (LEROBOT_READER_VENV=/some/dir builds one elsewhere).
set -euo pipefail

VENV="${LEROBOT_READER_VENV:-$HOME/.cache/leisaac-dashboard/lerobot-reader-venv}"
PYTHON="${LEROBOT_READER_PYTHON:-python3.11}"
RECIPE_VERSION="lerobot0.4.4-torch2.13.0-tv0.28.0-tc0.12.0-r1"
STAMP="$VENV/.leisaac-reader-ready"

log() { echo "[setup_lerobot_reader] $*" >&2; }

# The lerobot policy server and `lerobot-train` also run here: they need the OpenPI wire
# format (msgpack, websockets) and what lerobot's policy factory and training script import
# beyond the reader (imageio, diffusers, pyserial, deepdiff, gymnasium), torch held at 2.13.0,
# and pydantic, which `leisaac_core.policy`'s configs are (a full lerobot install has it
# through wandb; this venv installs lerobot without its dependencies).
# Checked on every run (cheap), so a venv built by an earlier recipe gets them without a
# rebuild.
policy_server_extras() {
    "$VENV/bin/python" -c "import msgpack, websockets, imageio, diffusers, serial, deepdiff, gymnasium, pydantic" \
        2>/dev/null && return 0
    log "installing the policy server's extras"
    "$VENV/bin/python" -m pip install --quiet -c "$VENV/constraints.txt" "msgpack>=1.0.5,<2" \
        "websockets>=13,<18" "imageio>=2.34,<3" "diffusers>=0.27.2,<0.36" "pyserial>=3.5,<4" \
        "deepdiff>=7.0.1,<9" "gymnasium>=1.1.1,<2" "pydantic>=2.7,<3"
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$RECIPE_VERSION" ]]; then
    policy_server_extras
    exit 0
fi

# torchcodec 0.12 links against FFmpeg 5.1 (Debian bookworm's libavcodec59 family).
FFMPEG_PKGS=(libavcodec59 libavformat59 libavutil57 libswscale6 libswresample4 libavdevice59 libavfilter8)
missing=()
for pkg in "${FFMPEG_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "installing FFmpeg 5.1 libraries: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv at $VENV with $PYTHON"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --quiet)

CONSTRAINTS="$VENV/constraints.txt"
echo "torch==2.13.0" >"$CONSTRAINTS"

log "installing torch 2.13.0 (CPU)"
"${PIP[@]}" torch==2.13.0
log "installing torchvision 0.28.0"
"${PIP[@]}" -c "$CONSTRAINTS" torchvision==0.28.0

# torchvision's C extension is a CUDA build that cannot load here, so its ops are absent and
# registering fake kernels for them fails at import. Make those two registrations conditional.
log "patching torchvision/_meta_registrations.py"
"$VENV/bin/python" - <<'PY'
import pathlib
import sysconfig

path = pathlib.Path(sysconfig.get_paths()["purelib"]) / "torchvision" / "_meta_registrations.py"
text = path.read_text()
marker = "# leisaac: conditional nms registrations"
if marker not in text:
    for op in ("nms", "qnms"):
        old = f'@torch.library.register_fake("torchvision::{op}")'
        if old not in text:
            raise SystemExit(f"expected decorator {old!r} not found in {path}")
        new = (
            f'@(torch.library.register_fake("torchvision::{op}") '
            "if torchvision.extension._has_ops() else (lambda fn: fn))"
        )
        text = text.replace(old, new)
    text = f"{marker}\nimport torchvision.extension\n" + text
    path.write_text(text)
PY

log "installing lerobot 0.4.4 (no deps) and the reader's dependencies"
"${PIP[@]}" --no-deps lerobot==0.4.4
"${PIP[@]}" -c "$CONSTRAINTS" "datasets>=4,<5" "huggingface-hub>=0.34.2,<0.36" "av>=15,<16" \
    jsonlines "packaging<26" termcolor "draccus==0.10.0" "einops<0.9" "accelerate>=1.10" pillow
"${PIP[@]}" --no-deps torchcodec==0.12.0

log "checking the reader imports"
"$VENV/bin/python" -c "from lerobot.datasets.lerobot_dataset import LeRobotDataset; import torchcodec.decoders"

policy_server_extras
echo "$RECIPE_VERSION" >"$STAMP"
log "ready: $VENV"
