#!/usr/bin/env bash
# The learning benchmark's real run (bench/learning.py --size gpu) on a GPU machine that
# reaches no package registry: one H200, 16 cores, this workplace's CUDA image, whose python3
# (3.12) holds torch 2.11, torchvision 0.26, numpy, pyarrow, accelerate, ... but neither
# lerobot nor the dashboard's own dependencies. What it lacks travels with the checkout in
# .gpu/ (git-ignored; name it in the device's carry), unpacked installs packed with xz
# (~45 MB: the device takes 64 MiB with the checkout, and PyAV's wheel alone is 40 MB zipped).
#
#   bash bench/learning_gpu.sh prepare   here, with PyPI: build .gpu/ (a few minutes once)
#   bash bench/learning_gpu.sh run [ARGS] there: unpack .gpu/ under /tmp, check that both
#                                        environments import and render, then run
#                                        bench/learning.py --size gpu [ARGS]; the JSON, the
#                                        table and the logs go to $OUT (else bench/results)
#   bash bench/learning_gpu.sh dry-run   here, no GPU: the same run in its smallest form with
#                                        the local environments (both tasks, ACT and a tiny
#                                        diffusion policy, all at once, on the CPU), and a check
#                                        that every distribution those processes imported is in
#                                        .gpu/ or on the CUDA image
#
# Two environments in one Python there, as here: the dashboard's (huggingface-hub 1.x) and
# lerobot 0.4.4's (huggingface-hub < 0.36), each a PYTHONPATH over the image's site-packages.
# lerobot reads our videos with torchcodec (torchvision 0.26 has no video reader, so lerobot's
# pyav backend cannot run there); torchcodec loads FFmpeg 7 from PyAV's own bundled libraries,
# linked under their plain names. MuJoCo renders through EGL on the GPU (glvnd's libEGL from
# Debian packages, the NVIDIA vendor library from the driver).
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE=.gpu
SITE=${LEISAAC_GPU_SITE:-/tmp/leisaac-gpu}
PY_VERSION=3.12
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64
  manylinux_2_5_x86_64 manylinux1_x86_64)

# Pinned to what runs here. Shared by both environments: PyAV 15 (lerobot 0.4.4 needs < 16; the
# dashboard takes 14-19), websockets, pyserial and pydantic (the policy server's configs).
COMMON=(av==15.1.0 websockets==17.4 pyserial==3.5 pydantic==2.14.4 pydantic-core==2.50.5
  typing-inspection==0.4.5 annotated-types==0.8.0)
# mujoco without mujoco-studio (its viewer: never imported here).
DASHBOARD=(mujoco==4.0.1 mujoco-core==4.0.1 glfw==2.11.0 PyOpenGL==3.1.10
  pydantic-settings==2.16.3 python-dotenv==1.2.4)
LEROBOT=(lerobot==0.4.4 torchcodec==0.11.0 huggingface-hub==0.35.3 datasets==4.8.5 dill==0.4.1
  multiprocess==0.70.19 draccus==0.10.0 mergedeep==1.3.4 pyyaml-include==1.4.1 toml==0.10.2
  jsonlines==4.0.0 termcolor==3.3.0 diffusers==0.35.2 importlib-metadata==10.2.0
  deepdiff==8.6.2 orderly-set==5.5.0 gymnasium==1.4.0 farama-notifications==0.0.6)
GL_DEBS=(libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
# The CUDA image's Python packages (this workplace's list, read 2026-11-17), for dry-run's check.
IMAGE_PACKAGES="absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio
attrs botorch build certifi charset-normalizer chex click cloudpickle cmake colorama contourpy
coverage cuda-bindings cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax
e3nn einops equinox etils execnet filelock flatbuffers flax fonttools formulaic frozenlist fsspec
gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize hypothesis idna imageio
iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib
kiwisolver lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml markdown
markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack multidict
multipledispatch mypy-extensions nanobind narwhals networkx ninja numba numba-cuda numpy numpyro
nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13
nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13
nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx onnx onnx-ir
onnxruntime onnxscript opencv-python-headless optax opt-einsum opt-einsum-fx optimistix
orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy portalocker
prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments pyre-extensions
pyparsing pyproject-hooks pytest pytest-benchmark pytest-cov pytest-mock pytest-timeout
pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu safetensors
scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece sentence-transformers
setuptools shellingham simplejson six sortedcontainers statsmodels sympy tabulate tensorboard
tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers toolz torch
torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers treescope
triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt
xarray xxhash yarl zipp"

log() { echo "[learning_gpu] $*" >&2; }

pip_platform_args() {
  local args=(--only-binary=:all: --python-version "$PY_VERSION" --implementation cp)
  for p in "${PLATFORMS[@]}"; do args+=(--platform "$p"); done
  echo "${args[@]}"
}

prepare() {
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE" "$tmp/wheels"
  # shellcheck disable=SC2046
  python3 -m pip download -q --no-deps $(pip_platform_args) -d "$tmp/wheels" \
    "${COMMON[@]}" "${DASHBOARD[@]}" "${LEROBOT[@]}"
  local group
  for group in common dashboard lerobot; do
    local -n pins="${group^^}"
    log "unpacking $group: ${pins[*]}"
    # shellcheck disable=SC2046
    python3 -m pip install -q --no-deps --no-compile --no-index --find-links "$tmp/wheels" \
      $(pip_platform_args) --target "$tmp/$group" "${pins[@]}"
    tar -C "$tmp/$group" -cf - . | xz -T0 -6 >"$BUNDLE/$group.tar.xz"
  done
  (cd "$BUNDLE" && apt-get download "${GL_DEBS[@]}" >/dev/null) ||
    { apt-get update -qq && (cd "$BUNDLE" && apt-get download "${GL_DEBS[@]}" >/dev/null); }
  local tree bundle
  tree=$({ git ls-files -z; git ls-files -z --others --exclude-standard; } | du -cb --files0-from=- | tail -1 | cut -f1)
  bundle=$(du -cb "$BUNDLE" | tail -1 | cut -f1)
  log "$BUNDLE: $((bundle / 1048576)) MiB; with the checkout $(((tree + bundle) / 1048576)) MiB (the device carries 64)"
  ((tree + bundle < 64 * 1048576)) || { log "too large for the device's carry"; return 1; }
}

unpack() {
  [[ -f "$BUNDLE/lerobot.tar.xz" ]] || { log "no $BUNDLE/: run 'bash bench/learning_gpu.sh prepare' with PyPI first"; exit 2; }
  local group
  for group in common dashboard lerobot; do
    rm -rf "${SITE:?}/$group"
    mkdir -p "$SITE/$group"
    tar -C "$SITE/$group" -xJf "$BUNDLE/$group.tar.xz"
  done
  for f in "$BUNDLE"/*.deb; do dpkg -x "$f" /; done
  ldconfig
  # torchcodec finds FFmpeg 7 under its plain names: PyAV's libraries, linked.
  mkdir -p "$SITE/ffmpeg"
  local lib base
  for lib in "$SITE"/common/av.libs/*; do
    base=$(basename "$lib")
    ln -sf "$lib" "$SITE/ffmpeg/$base"
    case $base in lib[as][vw]*-*.so.*)
      ln -sf "$lib" "$SITE/ffmpeg/${base%%-*}.so.$(sed -E 's/.*\.so\.([0-9]+).*/\1/' <<<"$base")" ;;
    esac
  done
  export LD_LIBRARY_PATH="$SITE/ffmpeg${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export MUJOCO_GL=egl
  local vendor=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [[ ! -e /usr/share/glvnd/egl_vendor.d/10_nvidia.json && -e $vendor ]]; then
    export __EGL_VENDOR_LIBRARY_FILENAMES=$vendor
  fi
}

preflight() {
  local dashboard_path=$1 lerobot_path=$2 py_dashboard=$3 py_lerobot=$4
  log "checking the dashboard's environment (render one step of each task)"
  PYTHONPATH=".:$dashboard_path" "$py_dashboard" - <<'PY'
from leisaac_core.sim import make_env_config, make_env_from_config
for task in ("so101_lift_cube", "so101_pick_orange"):
    env = make_env_from_config(make_env_config("mujoco", task=task, camera_width=64, camera_height=48))
    step = env.step(env.reset(seed=0).state)
    assert step.images["front"].std() > 0, f"{task}: the front camera rendered a flat image"
    env.close()
import server.cli.eval, leisaac_core.policy.client, leisaac_core.policy.expert  # noqa: E401,F401
PY
  log "checking lerobot's environment (imports, torch's device, torchcodec reading a video)"
  PYTHONPATH=".:$lerobot_path" "$py_lerobot" - <<'PY'
import glob, json, torch
import lerobot.scripts.lerobot_train, lerobot.policies.diffusion.modeling_diffusion  # noqa: E401,F401
import leisaac_core.policy.lerobot_server  # noqa: F401
from torchcodec.decoders import VideoDecoder
import av, numpy as np, tempfile, os
path = os.path.join(tempfile.mkdtemp(), "probe.mp4")
with av.open(path, "w") as out:
    stream = out.add_stream("h264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for i in range(10):
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="rgb24")
        out.mux(stream.encode(frame))
    out.mux(stream.encode())
frames = VideoDecoder(path).get_frames_played_at([0.0, 0.2])
assert tuple(frames.data.shape) == (2, 3, 48, 64), frames.data.shape
print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available(),
                  "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))
PY
}

run() {
  unpack
  local out
  out=$(realpath -m "${OUT:-bench/results}")
  local work=/tmp/leisaac-learning
  rm -rf "$work"
  preflight "$SITE/common:$SITE/dashboard" "$SITE/common:$SITE/lerobot" python3 python3
  log "running bench/learning.py --size gpu $*"
  local rc=0
  PYTHONPATH="$SITE/common:$SITE/dashboard" PYTHONUNBUFFERED=1 python3 bench/learning.py \
    --size gpu --lerobot-python python3 --lerobot-path "$SITE/common" "$SITE/lerobot" \
    --workdir "$work" --out "$out/learning_gpu.json" "$@" | tee "$out/learning_gpu.txt" || rc=$?
  (cd "$work" && find . -name '*.log' -print0 | tar -czf "$out/learning_gpu_logs.tar.gz" --null -T -) || true
  return "$rc"
}

dry_run() {
  local venv=${LEROBOT_READER_VENV:-$HOME/.cache/leisaac-dashboard/lerobot-reader-venv}
  bash tests/compat/setup_lerobot_reader.sh
  local audit work
  audit=$(mktemp -d)
  work=$(mktemp -d)
  # Every Python these commands start records the distributions it imported, at its exit.
  cat >"$audit/sitecustomize.py" <<'PY'
import atexit, os, sys

def _record():
    try:
        import importlib.metadata as md
        owners = md.packages_distributions()
        tops = {m.split(".")[0] for m in list(sys.modules)}
        found = sorted({d for t in tops for d in owners.get(t, [])[:1]})
        with open(os.path.join(os.environ["LEISAAC_IMPORT_AUDIT"], f"{os.getpid()}.txt"), "w") as f:
            f.write(f"{sys.prefix}\n" + "\n".join(found))
    except Exception:
        pass

if os.environ.get("LEISAAC_IMPORT_AUDIT"):
    atexit.register(_record)
PY
  export LEISAAC_IMPORT_AUDIT=$audit
  preflight "$audit" "$audit" .venv/bin/python "$venv/bin/python"
  log "the run in its smallest form: both tasks, ACT and diffusion, all at once, on this CPU"
  PYTHONPATH="$audit" .venv/bin/python bench/learning.py --size tiny \
    --tasks so101_lift_cube so101_pick_orange --policies act diffusion --parallel \
    --lerobot-python "$venv/bin/python" --lerobot-path "$audit" --workdir "$work" \
    --out "$work/learning_dry_run.json"
  log "checking that .gpu/ or the CUDA image holds every distribution each environment imported"
  python3 - "$audit" "$(realpath "$venv")" "${COMMON[*]}" "${DASHBOARD[*]}" "${LEROBOT[*]}" \
    "$IMAGE_PACKAGES" <<'PY'
import pathlib, re, sys

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def names(text):
    return {norm(p.split("==")[0]) for p in text.split()}

audit, lerobot_venv = pathlib.Path(sys.argv[1]), sys.argv[2]
common, dashboard, lerobot, image = (names(t) for t in sys.argv[3:7])
# This checkout, and mujoco's viewer (it shares mujoco's folder; never imported).
ours = {"leisaac-dashboard", "mujoco-studio"}
have = {"lerobot": common | lerobot | image | ours, "dashboard": common | dashboard | image | ours}
needed = {"lerobot": set(), "dashboard": set()}
records = list(audit.glob("*.txt"))
for record in records:
    prefix, *dists = record.read_text().splitlines()
    env = "lerobot" if pathlib.Path(prefix).resolve() == pathlib.Path(lerobot_venv) else "dashboard"
    needed[env] |= {norm(d) for d in dists}
print(f"{len(records)} processes imported {len(needed['dashboard'])} distributions in the "
      f"dashboard's environment, {len(needed['lerobot'])} in lerobot's")
missing = [f"{d} ({env})" for env in needed for d in sorted(needed[env] - have[env])]
if not needed["lerobot"] or not needed["dashboard"]:
    sys.exit("no record from one of the environments: the audit did not run")
if missing:
    sys.exit("missing on the GPU machine: " + ", ".join(missing))
print("each is carried in .gpu/ for its environment or on the CUDA image")
PY
  rm -rf "$audit" "$work"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  dry-run) dry_run ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
