"""Choose MuJoCo's offscreen OpenGL backend before `mujoco` is imported.

MuJoCo reads MUJOCO_GL once, at import. We default to EGL (Mesa's llvmpipe on a CPU box) and
fall back to OSMesa when EGL cannot make a context, probing each in a short subprocess so a
broken backend cannot take this process down. An explicit MUJOCO_GL is always respected.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

PACKAGE_HINT = (
    "install the Debian packages libegl1 libegl-mesa0 libgl1-mesa-dri (for MUJOCO_GL=egl) "
    "or libosmesa6 (for MUJOCO_GL=osmesa), e.g. `sudo apt-get install libegl1 libegl-mesa0 "
    "libgl1-mesa-dri libosmesa6`"
)
_PROBE = "import mujoco; c = mujoco.GLContext(8, 8); c.make_current(); c.free()"

_selected: str | None = None
# Set when no backend works; the env raises EnvError with it on its first render.
failure: str | None = None


def _probe(backend: str) -> str | None:
    """None when `backend` can make a GL context, else the error text."""
    env = dict(os.environ, MUJOCO_GL=backend)
    env.pop("PYOPENGL_PLATFORM", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def choose_backend(probe: Callable[[str], str | None] = _probe) -> tuple[str, str | None]:
    """(backend to use, failure message or None): EGL if it works, else OSMesa, else EGL with
    a message naming the Debian packages to install."""
    egl_error = probe("egl")
    if egl_error is None:
        return "egl", None
    osmesa_error = probe("osmesa")
    if osmesa_error is None:
        log.warning(
            "MuJoCo EGL rendering failed (%s); falling back to MUJOCO_GL=osmesa, which is "
            "slower. To use EGL, install libegl1 libegl-mesa0 libgl1-mesa-dri.",
            egl_error,
        )
        return "osmesa", None
    message = (
        f"MuJoCo cannot render offscreen: EGL failed ({egl_error}) and OSMesa failed "
        f"({osmesa_error}); {PACKAGE_HINT}"
    )
    log.error(message)
    return "egl", message


def select_gl_backend() -> str:
    """Set MUJOCO_GL (once per process) and return it. Call before `import mujoco`."""
    global _selected, failure
    if _selected is not None:
        return _selected
    # Each camera renders in a thread of its own (render.py), which keeps the cores busy
    # already; llvmpipe's rasterizer threads on top of that only add hand-offs (CPU per tick
    # measured ~5 % lower without them). Mesa reads this when it opens a display.
    os.environ.setdefault("LP_NUM_THREADS", "0")
    requested = os.environ.get("MUJOCO_GL", "").strip().lower()
    if requested or "mujoco" in sys.modules:
        # Too late to choose (mujoco already imported) or the user chose: respect it.
        _selected = requested
        return _selected
    _selected, failure = choose_backend()
    os.environ["MUJOCO_GL"] = _selected
    log.info("MuJoCo rendering backend: MUJOCO_GL=%s", _selected)
    return _selected
