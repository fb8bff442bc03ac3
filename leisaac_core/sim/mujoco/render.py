"""Offscreen rendering of the scene's cameras, each in a thread of its own.

Why not `mujoco.Renderer`: it renders the cameras one after the other in the calling thread,
all through one EGL display. On a CPU box (Mesa llvmpipe) every context of one display shares
one rasterizer behind a mutex, so even two threads cannot overlap; and `mujoco.egl` keeps one
display per process. Here each camera has a worker thread with its own GL context, and on
Mesa each context sits on its own EGL display (the device platform and Mesa's surfaceless
platform open separate screens), so the front and wrist cameras render at the same time on
two cores: a tick costs the slower camera, not the sum. MuJoCo's bindings release the GIL in
`mjr_render` and `mjr_readPixels`.

Each worker also skips geoms wholly outside its camera's view (their bounding sphere misses
the view frustum), which spares the vertex work of every link the wrist camera cannot see.
The workers read the env's `MjData` only while the stepping thread waits for them.
"""

from __future__ import annotations

import copy
import ctypes
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from leisaac_core.sim.mujoco import gl

gl.select_gl_backend()
import mujoco  # noqa: E402  (MUJOCO_GL must be set before this import)

log = logging.getLogger(__name__)

# Mesa's extension for a display with no window system (one more screen, one more rasterizer).
_EGL_PLATFORM_SURFACELESS_MESA = 0x31DD
# Shadows, reflections and the skybox cost most of a CPU frame; haze and MuJoCo 4's post
# processing change no pixel of these scenes and cost ~0.4 ms a tick.
_OFF_FLAGS = (
    "mjRND_SHADOW",
    "mjRND_REFLECTION",
    "mjRND_SKYBOX",
    "mjRND_HAZE",
    "mjRND_POST_PROCESSING",
)
# geom_group value that no scene option shows: how a worker hides the geoms it culled.
_HIDDEN_GROUP = 5
# A far-detail mesh is drawn when its cells span at most this many pixels.
# 4 px: at 640x480 the front camera draws the parts nearest its edge in full detail, and
# images differ from all-full-detail ones by 0.1 grey level on average (bench/sim.py).
FAR_DETAIL_MAX_PX = 4.0

_displays_lock = threading.Lock()
_displays: list[object] | None = None
# Workers make their GL and MuJoCo contexts one at a time: mjr_makeContext initializes
# process-wide state (its GL loader) that deadlocked when two threads entered it at once.
_setup_lock = threading.Lock()
# After one failed mjr_makeContext the next one in the process can hang in MuJoCo's
# one-time initialization, so a failure is final for the process.
_setup_failure: str | None = None


def _egl_displays() -> list[object]:
    """Initialized EGL displays with separate screens: the device display mujoco would use,
    plus Mesa's surfaceless display where the driver has it (not on NVIDIA's)."""
    global _displays
    with _displays_lock:
        if _displays is not None:
            return _displays
        from mujoco import egl as mujoco_egl
        from mujoco.egl import egl_ext as EGL

        found = []
        device_display = mujoco_egl.create_initialized_egl_device_display()
        if device_display != EGL.EGL_NO_DISPLAY:
            found.append(device_display)
        try:
            display = EGL.eglGetPlatformDisplayEXT(
                _EGL_PLATFORM_SURFACELESS_MESA, EGL.EGL_DEFAULT_DISPLAY, None
            )
            if display != EGL.EGL_NO_DISPLAY and EGL.eglInitialize(display, None, None):
                found.append(display)
        except Exception as exc:  # not Mesa, or an old one: one display is still correct
            log.debug("no Mesa surfaceless EGL display: %s", exc)
        if not found:
            raise RuntimeError("cannot initialize an EGL display")
        _displays = found
        return found


class _EglContext:
    """A pbuffer-less EGL context on a chosen display (see the module docstring)."""

    def __init__(self, display: object) -> None:
        from mujoco import egl as mujoco_egl
        from mujoco.egl import egl_ext as EGL

        self._egl = EGL
        self._display = display
        configs = (EGL.EGLConfig * 1)()
        count = ctypes.c_long()
        EGL.eglChooseConfig(display, mujoco_egl.EGL_ATTRIBUTES, configs, 1, count)
        if count.value < 1:
            raise RuntimeError("EGL found no framebuffer configuration for offscreen OpenGL")
        EGL.eglBindAPI(EGL.EGL_OPENGL_API)
        self._context = EGL.eglCreateContext(display, configs[0], EGL.EGL_NO_CONTEXT, None)
        if not self._context:
            raise RuntimeError("cannot create an EGL context")

    def make_current(self) -> None:
        EGL = self._egl
        if not EGL.eglMakeCurrent(
            self._display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, self._context
        ):
            raise RuntimeError("cannot make the EGL context current")

    def free(self) -> None:
        EGL = self._egl
        if self._context:
            EGL.eglMakeCurrent(
                self._display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT
            )
            EGL.eglDestroyContext(self._display, self._context)
            EGL.eglReleaseThread()
            self._context = None


def _make_context(slot: int, width: int, height: int) -> object:
    if os.environ.get("MUJOCO_GL", "").lower() == "egl":
        displays = _egl_displays()
        return _EglContext(displays[slot % len(displays)])
    return mujoco.GLContext(width, height)  # OSMesa (or GLFW): one context per thread


def frustum_test(
    centers: np.ndarray,
    radii: np.ndarray,
    cam_pos: np.ndarray,
    cam_mat: np.ndarray,
    tan_half_fovy: float,
    aspect: float,
    znear: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(visible, depth) of spheres (centers (N,3), radii (N,)) for a MuJoCo camera.

    MuJoCo cameras look along their frame's -z with +y up. A sphere is invisible when it lies
    wholly behind the near plane or wholly beyond one of the four side planes.
    """
    local = (centers - cam_pos) @ cam_mat  # camera-frame coordinates (cam_mat columns = axes)
    depth = -local[:, 2]
    tan_x = tan_half_fovy * aspect
    # Signed distance beyond a side plane through the eye (positive outside).
    beyond_y = (np.abs(local[:, 1]) - depth * tan_half_fovy) / np.sqrt(1 + tan_half_fovy**2)
    beyond_x = (np.abs(local[:, 0]) - depth * tan_x) / np.sqrt(1 + tan_x**2)
    visible = (depth + radii > znear) & (beyond_y < radii) & (beyond_x < radii)
    return visible, depth


class _CameraWorker:
    """One camera: a thread, a GL context, a scene and a private copy of the model whose
    geom groups say what this camera draws this tick."""

    def __init__(
        self,
        model: mujoco.MjModel,
        camera_id: int,
        slot: int,
        width: int,
        height: int,
        far_twins: list[tuple[int, int]],
        far_cell_m: float,
    ) -> None:
        self._model = copy.copy(model)
        self._camera_id = camera_id
        self._slot = slot
        self._width, self._height = width, height
        # What a default scene option draws (groups 0-2); planes are infinite (rbound 0).
        self._drawn = model.geom_group < 3
        self._cullable = (model.geom_type != mujoco.mjtGeom.mjGEOM_PLANE) & (model.geom_rbound > 0)
        pairs = np.array(far_twins, dtype=np.int64).reshape(-1, 2)
        self._fine, self._far = pairs[:, 0], pairs[:, 1]
        self._far_cell_m = far_cell_m
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"render-cam{camera_id}"
        )
        self._context: object | None = None
        self._mjr: mujoco.MjrContext | None = None

    def submit(self, data: mujoco.MjData) -> Future[np.ndarray]:
        return self._executor.submit(self._render, data)

    def close(self) -> None:
        self._executor.submit(self._free).result()
        self._executor.shutdown(wait=True)

    def _setup(self) -> None:
        global _setup_failure
        with _setup_lock:
            if _setup_failure:
                raise RuntimeError(f"{_setup_failure} (an earlier attempt in this process)")
            try:
                context = _make_context(self._slot, self._width, self._height)
                context.make_current()  # type: ignore[attr-defined]
                self._context = context
                self._mjr = mujoco.MjrContext(self._model, mujoco.mjtFontScale.mjFONTSCALE_150)
            except Exception as exc:
                _setup_failure = str(exc)
                raise
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._mjr)
        self._scene = mujoco.MjvScene(self._model, maxgeom=10_000)
        for flag in _OFF_FLAGS:
            if hasattr(mujoco.mjtRndFlag, flag):  # POST_PROCESSING is new in MuJoCo 4
                self._scene.flags[getattr(mujoco.mjtRndFlag, flag)] = False
        self._camera = mujoco.MjvCamera()
        self._camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        self._camera.fixedcamid = self._camera_id
        self._option = mujoco.MjvOption()
        self._perturb = mujoco.MjvPerturb()
        self._rect = mujoco.MjrRect(0, 0, self._width, self._height)

    def draw_mask(self, data: mujoco.MjData) -> np.ndarray:
        """Which geoms this camera draws now: those a default option shows, minus the ones
        outside the view, with each visual mesh drawn at the detail its distance needs."""
        m, cid = self._model, self._camera_id
        tan_half_fovy = float(np.tan(np.radians(m.cam_fovy[cid]) / 2))
        visible, depth = frustum_test(
            data.geom_xpos,
            m.geom_rbound,
            data.cam_xpos[cid],
            data.cam_xmat[cid].reshape(3, 3),
            tan_half_fovy,
            self._width / self._height,
            m.vis.map.znear * m.stat.extent,
        )
        draw = self._drawn & (visible | ~self._cullable)
        # Far enough that the coarse mesh's cells span at most FAR_DETAIL_MAX_PX pixels,
        # measured at the part's nearest point.
        metres_per_px = 2 * np.maximum(depth - m.geom_rbound, 1e-6) * tan_half_fovy / self._height
        far = self._far_cell_m / metres_per_px[self._fine] <= FAR_DETAIL_MAX_PX
        draw[self._far] = draw[self._fine] & far
        draw[self._fine] &= ~far
        return draw

    def _render(self, data: mujoco.MjData) -> np.ndarray:
        if self._mjr is None:
            self._setup()
        m = self._model
        m.geom_group[:] = np.where(self.draw_mask(data), 0, _HIDDEN_GROUP)
        mujoco.mjv_updateScene(
            m,
            data,
            self._option,
            self._perturb,
            self._camera,
            mujoco.mjtCatBit.mjCAT_ALL,
            self._scene,
        )
        mujoco.mjr_render(self._rect, self._scene, self._mjr)
        pixels = np.empty((self._height, self._width, 3), dtype=np.uint8)
        mujoco.mjr_readPixels(pixels, None, self._rect, self._mjr)
        return np.flipud(pixels).copy()  # OpenGL's rows run bottom-up; a fresh array each tick

    def _free(self) -> None:
        if self._mjr is not None:
            self._mjr.free()
            self._mjr = None
        if self._context is not None:
            self._context.free()  # type: ignore[attr-defined]
            self._context = None


class SceneRenderer:
    """Renders every camera of a model concurrently; `render` returns fresh arrays."""

    def __init__(
        self,
        model: mujoco.MjModel,
        cameras: dict[str, int],
        width: int,
        height: int,
        far_twins: list[tuple[int, int]] = (),  # type: ignore[assignment]
        far_cell_m: float = 0.0,
    ) -> None:
        if model.vis.global_.offwidth < width or model.vis.global_.offheight < height:
            raise ValueError("the model's offscreen buffer is smaller than the camera size")
        self._workers = {
            name: _CameraWorker(model, cid, slot, width, height, list(far_twins), far_cell_m)
            for slot, (name, cid) in enumerate(cameras.items())
        }

    def render(self, data: mujoco.MjData) -> dict[str, np.ndarray]:
        futures = {name: worker.submit(data) for name, worker in self._workers.items()}
        return {name: future.result() for name, future in futures.items()}

    def close(self) -> None:
        for worker in self._workers.values():
            worker.close()
