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
the view frustum), which spares the vertex work of every link the wrist camera cannot see,
and draws distant meshes from coarser twins. On a CPU rasterizer, a camera fixed to the
world (the front camera) keeps a backdrop: its image of everything that cannot move (table,
floor, robot base, a fixed plate), drawn once per episode. Each tick it draws only the window
of the image that moving geoms can reach and pastes it onto a copy of the backdrop. Without
shadows or reflections a moving part changes no pixel outside its own silhouette, so the
picture is the same (up to one grey level on a few dozen edge pixels) for a fraction of the
pixels. The workers read the env's `MjData` only while the stepping thread waits for them.
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

# Drawing a window costs its pixels plus all its geometry; past this share of the image a
# whole frame is as cheap.
MAX_WINDOW_SHARE = 0.8
# Margin around a window, in pixels: rasterization covers pixels whose centres an edge grazes.
_WINDOW_MARGIN_PX = 2

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


class _Framebuffer:
    """MuJoCo's offscreen framebuffer, with its renderbuffers re-allocated through OpenGL.

    MuJoCo allocates a 32-bit float depth + 8-bit stencil buffer (64 bits a pixel on Mesa).
    With shadows and reflections off nothing uses the stencil, and llvmpipe tests and writes
    a 24-bit depth buffer faster (measured at 640x480: rasterizing the front camera 4.8 ->
    4.1 ms, the wrist camera 3.4 -> 2.5 ms); at this scene's depth range the coarser depth
    changes about one pixel in a million by one grey level. `resize` makes the framebuffer the
    size of a window, so that its edges clip everything outside it (MuJoCo's `mjr_render`
    turns the scissor test off). Uses PyOpenGL (a dependency of mujoco); where it or the
    driver refuses, `resizable` is False and the framebuffer stays as MuJoCo made it.
    """

    def __init__(self, mjr: mujoco.MjrContext, depth24: bool = True) -> None:
        self._mjr = mjr
        self.size = (mjr.offWidth, mjr.offHeight)
        self.resizable = False
        self.software = False  # a CPU rasterizer (Mesa llvmpipe or OSMesa), where pixels cost
        try:
            from OpenGL import GL
        except Exception as exc:  # keep MuJoCo's buffers
            log.warning("no PyOpenGL: keeping MuJoCo's offscreen buffers (%s)", exc)
            return
        self._gl = GL
        try:
            renderer = (GL.glGetString(GL.GL_RENDERER) or b"").decode(errors="replace").lower()
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, mjr.offDepthStencil)
            mujoco_format = int(
                GL.glGetRenderbufferParameteriv(
                    GL.GL_RENDERBUFFER, GL.GL_RENDERBUFFER_INTERNAL_FORMAT
                )
            )
        except Exception as exc:  # PyOpenGL that cannot reach this context: change nothing
            log.warning("keeping MuJoCo's offscreen buffers: %s", exc)
            return
        self.software = any(name in renderer for name in ("llvmpipe", "softpipe", "swrast"))
        self._depth_format, self._depth_attachment = mujoco_format, GL.GL_DEPTH_STENCIL_ATTACHMENT
        try:
            if depth24:
                self._attach_depth(GL.GL_DEPTH_COMPONENT24, GL.GL_DEPTH_ATTACHMENT)
            self.resizable = self._complete()
        except Exception as exc:  # a driver that refuses: MuJoCo's own buffers still work
            log.warning("keeping MuJoCo's offscreen buffers: %s", exc)
        if not self.resizable:
            self._attach_depth(mujoco_format, GL.GL_DEPTH_STENCIL_ATTACHMENT)

    def resize(self, width: int, height: int) -> None:
        if (width, height) == self.size:
            return
        GL = self._gl
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self._mjr.offColor)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_RGBA8, width, height)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self._mjr.offDepthStencil)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, self._depth_format, width, height)
        self.size = (width, height)

    def _attach_depth(self, depth_format: int, attachment: int) -> None:
        GL, mjr = self._gl, self._mjr
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, mjr.offFBO)
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, self._depth_attachment, GL.GL_RENDERBUFFER, 0
        )
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, mjr.offDepthStencil)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, depth_format, *self.size)
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, attachment, GL.GL_RENDERBUFFER, mjr.offDepthStencil
        )
        self._depth_format, self._depth_attachment = depth_format, attachment

    def _complete(self) -> bool:
        GL = self._gl
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._mjr.offFBO)
        return bool(GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) == GL.GL_FRAMEBUFFER_COMPLETE)


def sphere_window(
    local: np.ndarray, radii: np.ndarray, tan_half_fovy: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixel bounds of the image that spheres (camera-frame centres
    `local` (N,3), `radii`) can cover, with a margin; the whole image when one reaches behind
    the eye. Each bound is the exact tangent of the nearest sphere: the planes through the eye
    at slope t touching a sphere at (c, depth d) solve t^2 (d^2-r^2) - 2cdt + c^2-r^2 = 0."""
    depth = -local[:, 2]
    if np.any(depth - radii <= 1e-6):
        return 0, 0, width, height
    tan_x = tan_half_fovy * width / height
    reach = depth**2 - radii**2
    bounds = []
    for c in (local[:, 0], local[:, 1]):
        spread = radii * np.sqrt(c**2 + reach)
        bounds.append(((c * depth - spread) / reach, (c * depth + spread) / reach))
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    margin = _WINDOW_MARGIN_PX
    left = int(np.floor(width / 2 * (1 + x_lo.min() / tan_x))) - margin
    right = int(np.ceil(width / 2 * (1 + x_hi.max() / tan_x))) + margin
    top = int(np.floor(height / 2 * (1 - y_hi.max() / tan_half_fovy))) - margin
    bottom = int(np.ceil(height / 2 * (1 - y_lo.min() / tan_half_fovy))) + margin
    return max(left, 0), max(top, 0), min(right, width), min(bottom, height)


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
        self._tan_half_fovy = float(np.tan(np.radians(model.cam_fovy[camera_id]) / 2))
        # What a default scene option draws (groups 0-2); planes are infinite (rbound 0).
        self._drawn = model.geom_group < 3
        self._cullable = (model.geom_type != mujoco.mjtGeom.mjGEOM_PLANE) & (model.geom_rbound > 0)
        pairs = np.array(far_twins, dtype=np.int64).reshape(-1, 2)
        self._fine, self._far = pairs[:, 0], pairs[:, 1]
        self._far_cell_m = far_cell_m
        # Geoms that can move: on a body with a joint on its way to the world, or on a mocap
        # body. A fixed camera keeps a backdrop when the lights are fixed too (a moving light
        # would change the fixed parts' shading everywhere).
        moving_body = (model.body_weldid != 0) | (model.body_mocapid[model.body_rootid] >= 0)
        self._moving = moving_body[model.geom_bodyid]
        fixed = mujoco.mjtCamLight.mjCAMLIGHT_FIXED
        self._fixed_view = bool(
            not moving_body[model.cam_bodyid[camera_id]]
            and model.cam_mode[camera_id] == fixed
            and not moving_body[model.light_bodyid].any()
            and (model.light_mode == fixed).all()
        )
        self._backdrop: np.ndarray | None = None
        self._use_backdrop = True  # bench/sim.py and tests turn these off to compare
        self._depth24 = True
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"render-cam{camera_id}"
        )
        self._context: object | None = None
        self._mjr: mujoco.MjrContext | None = None
        self._framebuffer: _Framebuffer | None = None

    def submit(self, data: mujoco.MjData) -> Future[np.ndarray]:
        return self._executor.submit(self._render, data)

    def forget_backdrop(self) -> None:
        """The scene's fixed parts may have moved (a reset): draw the backdrop again."""
        self._backdrop = None

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
        self._framebuffer = _Framebuffer(self._mjr, depth24=self._depth24)
        if self._framebuffer.resizable:
            self._framebuffer.resize(self._width, self._height)
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

    def _camera_frame(self, data: mujoco.MjData) -> np.ndarray:
        """Geom centres in this camera's frame (MuJoCo cameras look along -z, +y up)."""
        cid = self._camera_id
        return (data.geom_xpos - data.cam_xpos[cid]) @ data.cam_xmat[cid].reshape(3, 3)

    def draw_mask(self, data: mujoco.MjData) -> np.ndarray:
        """Which geoms this camera draws now: those a default option shows, minus the ones
        outside the view, with each visual mesh drawn at the detail its distance needs."""
        m, cid = self._model, self._camera_id
        visible, depth = frustum_test(
            data.geom_xpos,
            m.geom_rbound,
            data.cam_xpos[cid],
            data.cam_xmat[cid].reshape(3, 3),
            self._tan_half_fovy,
            self._width / self._height,
            m.vis.map.znear * m.stat.extent,
        )
        draw = self._drawn & (visible | ~self._cullable)
        # Far enough that the coarse mesh's cells span at most FAR_DETAIL_MAX_PX pixels,
        # measured at the part's nearest point.
        metres_per_px = (
            2 * np.maximum(depth - m.geom_rbound, 1e-6) * self._tan_half_fovy / self._height
        )
        far = self._far_cell_m / metres_per_px[self._fine] <= FAR_DETAIL_MAX_PX
        draw[self._far] = draw[self._fine] & far
        draw[self._fine] &= ~far
        return draw

    def window(self, data: mujoco.MjData, draw: np.ndarray) -> tuple[int, int, int, int] | None:
        """(left, top, right, bottom) of the image the drawn moving geoms can cover, or None
        when none is drawn."""
        moving = draw & self._moving
        if not moving.any():
            return None
        local = self._camera_frame(data)[moving]
        radii = np.where(self._cullable, self._model.geom_rbound, np.inf)[moving]
        return sphere_window(local, radii, self._tan_half_fovy, self._width, self._height)

    def _render(self, data: mujoco.MjData) -> np.ndarray:
        if self._mjr is None:
            self._setup()
        assert self._framebuffer is not None
        draw = self.draw_mask(data)
        full = (0, 0, self._width, self._height)
        # On a GPU a whole frame costs about a millisecond, and re-allocating its buffers each
        # tick could stall the driver: the backdrop is for CPU rasterizers.
        framebuffer = self._framebuffer
        if not (
            self._use_backdrop
            and self._fixed_view
            and framebuffer.resizable
            and framebuffer.software
        ):
            return self._draw(data, draw, full).copy()  # a fresh, contiguous array each tick
        if self._backdrop is None:
            self._backdrop = self._draw(data, draw & ~self._moving, full).copy()
        window = self.window(data, draw)
        image = self._backdrop.copy()
        if window is not None:
            left, top, right, bottom = window
            if (right - left) * (bottom - top) > MAX_WINDOW_SHARE * self._width * self._height:
                return self._draw(data, draw, full).copy()
            if right > left and bottom > top:
                image[top:bottom, left:right] = self._draw(data, draw, window)
        return image

    def _draw(
        self, data: mujoco.MjData, draw: np.ndarray, window: tuple[int, int, int, int]
    ) -> np.ndarray:
        """The pixels of `window` (left, top, right, bottom; rows from the image's top), as a
        view of a fresh array."""
        assert self._mjr is not None and self._framebuffer is not None
        m = self._model
        m.geom_group[:] = np.where(draw, 0, _HIDDEN_GROUP)
        mujoco.mjv_updateScene(
            m,
            data,
            self._option,
            self._perturb,
            self._camera,
            mujoco.mjtCatBit.mjCAT_ALL,
            self._scene,
        )
        left, top, right, bottom = window
        width, height = right - left, bottom - top
        if self._framebuffer.resizable:
            self._framebuffer.resize(width, height)
        # The whole camera's viewport, shifted so the window's corner sits at the framebuffer's
        # origin; the framebuffer's edges clip the rest (OpenGL counts rows bottom-up).
        viewport = mujoco.MjrRect(-left, -(self._height - bottom), self._width, self._height)
        mujoco.mjr_render(viewport, self._scene, self._mjr)
        pixels = np.empty((height, width, 3), dtype=np.uint8)
        mujoco.mjr_readPixels(pixels, None, mujoco.MjrRect(0, 0, width, height), self._mjr)
        return np.flipud(pixels)  # OpenGL's rows run bottom-up

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

    def reset(self) -> None:
        """The scene's fixed parts may have changed (an env reset moves the plate, jitters
        the cameras): the next frames redraw their backdrops."""
        for worker in self._workers.values():
            worker.forget_backdrop()

    def render(self, data: mujoco.MjData) -> dict[str, np.ndarray]:
        futures = {name: worker.submit(data) for name, worker in self._workers.items()}
        return {name: future.result() for name, future in futures.items()}

    def close(self) -> None:
        for worker in self._workers.values():
            worker.close()
