"""`leisaac-dashboard doctor`: what this machine can run, checked without side effects.

Each check returns a `Check`. Only the checks marked `required` (what the default MuJoCo
backend needs) decide the exit code; the rest (GPU, Isaac Lab, serial ports, ...) report
what is available. Heavy packages (torch, Isaac Lab) are looked up, never imported: importing
torch can take seconds and initialise CUDA, and importing Isaac Lab needs a running Isaac app.
The one thing it writes is the measured render cost, to a cache file the start form reads.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from leisaac_core import __version__
from leisaac_core.config import Settings

Status = Literal["ok", "warn", "missing", "fail"]

GL_BACKENDS: tuple[str, ...] = ("egl", "osmesa")
ENCODERS: tuple[str, ...] = ("libsvtav1", "libx264")
LOW_DISK_BYTES = 5 * 1024**3
_GL_PROBE_TIMEOUT_S = 60
_RENDER_COST_TIMEOUT_S = 300  # one- and two-arm tasks, four sizes each
_GL_PROBE = """
import mujoco
model = mujoco.MjModel.from_xml_string(
    '<mujoco><worldbody><light pos="0 0 1"/><geom size=".1"/></worldbody></mujoco>'
)
data = mujoco.MjData(model)
mujoco.mj_forward(model, data)
renderer = mujoco.Renderer(model, 32, 32)
renderer.update_scene(data)
pixels = renderer.render()
renderer.close()
assert pixels.shape == (32, 32, 3), pixels.shape
print("rendered", pixels.shape)
"""


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    required: bool = False


def _first_line(text: str, limit: int = 200) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "")[:limit]


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python(settings: Settings) -> Check:
    version = platform.python_version()
    ok = sys.version_info >= (3, 11)
    detail = f"{version} at {sys.executable}"
    return Check("python", "ok" if ok else "fail", detail if ok else f"{detail}; need >= 3.11")


def check_package(settings: Settings) -> Check:
    installed = _dist_version("leisaac-dashboard")
    detail = f"leisaac-dashboard {__version__}"
    if installed is None:
        detail += " (running from a source tree, not installed)"
    return Check("package", "ok", detail)


def check_mujoco(settings: Settings) -> Check:
    try:
        import mujoco
    except Exception as exc:  # a broken install raises more than ImportError
        return Check("mujoco", "fail", f"import mujoco failed: {exc}", required=True)
    return Check("mujoco", "ok", f"mujoco {mujoco.__version__}", required=True)


def probe_gl_backend(backend: str) -> tuple[bool, str]:
    """Render one frame with MUJOCO_GL=`backend` in a fresh interpreter.

    A subprocess because MuJoCo reads MUJOCO_GL once, at import.
    """
    env = {**os.environ, "MUJOCO_GL": backend, "PYOPENGL_PLATFORM": backend}
    try:
        result = subprocess.run(
            [sys.executable, "-c", _GL_PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=_GL_PROBE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {_GL_PROBE_TIMEOUT_S} s"
    if result.returncode == 0 and "rendered" in result.stdout:
        return True, "renders"
    return False, _first_line(result.stderr or result.stdout) or f"exit {result.returncode}"


def check_mujoco_rendering(settings: Settings, backends: Sequence[str] | None = None) -> Check:
    """Required: at least one headless GL backend renders, and MUJOCO_GL (if set) is one."""
    results = {backend: probe_gl_backend(backend) for backend in (backends or GL_BACKENDS)}
    working = [backend for backend, (ok, _) in results.items() if ok]
    parts = [f"{b}: {'ok' if ok else 'broken (' + why + ')'}" for b, (ok, why) in results.items()]
    current = os.environ.get("MUJOCO_GL")
    detail = "; ".join(parts) + f"; MUJOCO_GL={current or '(unset)'}"
    if not working:
        hint = "install Mesa EGL (Debian: libegl1 libegl-mesa0 libgl1-mesa-dri) or libosmesa6"
        return Check("mujoco_rendering", "fail", f"{detail}; {hint}", required=True)
    if current and current not in working:
        return Check(
            "mujoco_rendering",
            "fail",
            f"{detail}; MUJOCO_GL={current} does not work here, set MUJOCO_GL={working[0]}",
            required=True,
        )
    return Check("mujoco_rendering", "ok", detail, required=True)


def check_render_cost(settings: Settings) -> Check:
    """What a tick costs per camera size here, measured in a fresh interpreter (GL state and
    MUJOCO_GL are per process); cached for the start form's camera-size suggestion."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "leisaac_core.render_cost", "--json"],
            capture_output=True,
            text=True,
            timeout=_RENDER_COST_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return Check("render_cost", "warn", f"measuring took over {_RENDER_COST_TIMEOUT_S} s")
    if result.returncode != 0:
        return Check("render_cost", "warn", f"not measured: {_first_line(result.stderr)}")
    from leisaac_core.sim.mujoco.cost import summary

    measured = json.loads(result.stdout.strip().splitlines()[-1])
    status: Status = "ok" if measured["largest_holding"] else "warn"
    return Check("render_cost", status, summary(measured))


def check_gpu(settings: Settings) -> Check:
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return Check(
            "gpu", "missing", "no nvidia-smi on PATH (no NVIDIA driver); MuJoCo runs on CPU"
        )
    query = [nvidia_smi, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
    try:
        result = subprocess.run(query, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return Check("gpu", "warn", "nvidia-smi timed out")
    gpus = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not gpus:
        why = _first_line(result.stderr or result.stdout) or f"exit {result.returncode}"
        return Check("gpu", "warn", f"nvidia-smi found no usable GPU: {why}")
    return Check("gpu", "ok", " | ".join(gpus))


def check_isaaclab(settings: Settings) -> Check:
    """Looks Isaac Lab, Isaac Sim and LeIsaac up without importing them."""
    found = {name: importlib.util.find_spec(name) is not None for name in ("isaaclab", "leisaac")}
    versions = {dist: _dist_version(dist) for dist in ("isaaclab", "isaacsim", "leisaac")}
    described = ", ".join(f"{d} {v}" for d, v in versions.items() if v)
    if not found["isaaclab"]:
        return Check(
            "isaaclab",
            "missing",
            "Isaac Lab not installed (GPU backend unavailable; install Isaac Lab 2.3 + LeIsaac, "
            "see README GPU section)",
        )
    if not found["leisaac"]:
        return Check("isaaclab", "warn", f"Isaac Lab found ({described}) but LeIsaac is missing")
    return Check("isaaclab", "ok", f"importable: {described or 'isaaclab, leisaac'}")


def check_torch(settings: Settings) -> Check:
    """Presence and version only: importing torch would initialise CUDA and take seconds."""
    if importlib.util.find_spec("torch") is None:
        return Check("torch", "missing", "not installed (only the isaaclab backend uses it)")
    return Check(
        "torch", "ok", f"torch {_dist_version('torch') or '(version unknown)'} (not imported)"
    )


def check_encoders(settings: Settings) -> Check:
    try:
        import av
    except Exception as exc:
        return Check("video_encoders", "fail", f"import av failed: {exc}")
    usable = []
    for name in ENCODERS:
        try:
            av.codec.Codec(name, "w")
        except Exception:
            continue
        usable.append(name)
    missing = [name for name in ENCODERS if name not in usable]
    detail = f"PyAV {av.__version__}: " + ", ".join(
        [f"{n} ok" for n in usable] + [f"{n} missing" for n in missing]
    )
    if not usable:
        return Check("video_encoders", "fail", detail + "; datasets cannot be written")
    return Check("video_encoders", "warn" if missing else "ok", detail)


def check_serial_ports(settings: Settings) -> Check:
    """USB serial ports are where a leader arm appears; built-in UARTs are listed apart."""
    from serial.tools import list_ports

    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    usb = [f"{p.device} ({p.description})" for p in ports if p.vid is not None]
    other = [p.device for p in ports if p.vid is None]
    detail = f"USB: {', '.join(usb) or 'none'}"
    if other:
        detail += f"; other: {', '.join(other)}"
    if not usb:
        return Check("serial_ports", "missing", f"{detail} (a leader arm shows up as /dev/ttyACM*)")
    return Check("serial_ports", "ok", detail)


def check_disk(settings: Settings) -> Check:
    root = Path(settings.dataset_root).expanduser()
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    detail = f"{free / 1024**3:.1f} GiB free at {root}"
    if existing != root:
        detail += f" (not created yet; measured at {existing})"
    status: Status = "warn" if free < LOW_DISK_BYTES else "ok"
    return Check("disk", status, detail)


def check_chromium(settings: Settings) -> Check:
    """Only the browser tests need Chromium; the product does not."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return Check("chromium", "ok", f"{path} (browser tests)")
    return Check("chromium", "missing", "not found (only the browser tests need it)")


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_python,
    check_package,
    check_mujoco,
    check_mujoco_rendering,
    check_render_cost,
    check_gpu,
    check_isaaclab,
    check_torch,
    check_encoders,
    check_serial_ports,
    check_disk,
    check_chromium,
)


def run_checks(settings: Settings | None = None) -> list[Check]:
    """Run every check; a check that crashes is reported as failed, never raised."""
    settings = settings or Settings()
    results = []
    for check in CHECKS:
        try:
            results.append(check(settings))
        except Exception as exc:
            name = check.__name__.removeprefix("check_")
            results.append(Check(name, "fail", f"the check itself crashed: {exc!r}"))
    return results


def exit_code(checks: Sequence[Check]) -> int:
    """1 when something the default (MuJoCo) backend needs is broken, else 0."""
    return 1 if any(c.required and c.status != "ok" for c in checks) else 0


def to_json(checks: Sequence[Check]) -> dict[str, Any]:
    return {"ok": exit_code(checks) == 0, "checks": [asdict(c) for c in checks]}


def format_table(checks: Sequence[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{c.status.upper():<7} {c.name:<{width}}  {c.detail}" for c in checks]
    verdict = "ready" if exit_code(checks) == 0 else "NOT ready: a required check failed"
    lines.append(f"\nMuJoCo default backend: {verdict}")
    return "\n".join(lines)
