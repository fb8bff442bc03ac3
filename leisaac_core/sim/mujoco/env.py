"""The embedded MuJoCo backend: SO-101 scenes built from TaskSpecs, rendered on the CPU.

One `step` = one control period at the dataset fps: the joint targets go to position
actuators, physics runs several substeps, both cameras render, and the task's success rule is
evaluated. The renderer (an EGL/OSMesa context, thread-affine) is created lazily in the thread
that first calls reset/step and must only be used from that thread.
"""

from __future__ import annotations

import logging
import math
import threading

import numpy as np

from leisaac_core import so101
from leisaac_core.sim.base import CameraSpec, EnvError, Step
from leisaac_core.sim.info import scene_info
from leisaac_core.sim.mujoco import gl
from leisaac_core.sim.mujoco.config import MujocoEnvConfig
from leisaac_core.sim.mujoco.scene import build_scene_xml, small_rotation
from leisaac_core.tasks import SceneState, TaskSpec, get_task

gl.select_gl_backend()
import mujoco  # noqa: E402  (MUJOCO_GL must be set before this import)

log = logging.getLogger(__name__)

SETTLE_SECONDS = 0.1
# Renderers whose env was closed from a foreign thread (see MujocoEnv.close).
_RENDERERS_OF_OTHER_THREADS: list[
    mujoco.Renderer
] = []  # physics run after placing objects so they rest on the table


class MujocoEnv:
    def __init__(self, config: MujocoEnvConfig) -> None:
        if config.fps <= 0:
            raise ValueError(f"fps must be positive, got {config.fps}")
        if config.camera_width < 16 or config.camera_height < 16:
            raise ValueError(
                f"camera size {config.camera_width}x{config.camera_height} is too small; "
                "use at least 16x16"
            )
        if not 0 < config.physics_timestep <= 0.01:
            raise ValueError(
                f"physics_timestep must be in (0, 0.01] s, got {config.physics_timestep}"
            )
        self._config = config
        self._task: TaskSpec = get_task(config.task)
        period = 1.0 / config.fps
        self._substeps = math.ceil(period / config.physics_timestep - 1e-9)
        timestep = period / self._substeps
        xml = build_scene_xml(self._task, timestep, config.camera_width, config.camera_height)
        self._model = mujoco.MjModel.from_xml_string(xml)
        self._data = mujoco.MjData(self._model)
        m = self._model

        def jnt(name: str) -> int:
            return mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)

        joint_ids = [jnt(j) for j in so101.JOINTS]
        self._qpos_adr = np.array([m.jnt_qposadr[j] for j in joint_ids])
        self._actuator_ids = np.array(
            [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, j) for j in so101.JOINTS]
        )
        self._ctrl_lo = m.actuator_ctrlrange[self._actuator_ids, 0].copy()
        self._ctrl_hi = m.actuator_ctrlrange[self._actuator_ids, 1].copy()
        self._base_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "base")
        self._object_bodies = {
            o.name: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, o.name)
            for o in self._task.objects
        }
        self._object_qpos = {
            o.name: int(m.jnt_qposadr[jnt(o.name)]) for o in self._task.objects if o.movable
        }
        self._camera_ids = {
            c.name: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, c.name)
            for c in self._task.cameras
        }
        self._camera_home = {
            name: (m.cam_pos[cid].copy(), m.cam_quat[cid].copy())
            for name, cid in self._camera_ids.items()
        }
        self._object_home = {o.name: np.array(o.pos, dtype=np.float64) for o in self._task.objects}
        self._cameras = tuple(
            CameraSpec(c.name, config.camera_height, config.camera_width)
            for c in self._task.cameras
        )
        self._rng = np.random.default_rng(config.seed)
        self._renderer: mujoco.Renderer | None = None
        self._render_thread: int | None = None
        self._scene_option = mujoco.MjvOption()
        self._has_reset = False

    # --- Env protocol: description -------------------------------------------------------
    @property
    def task_name(self) -> str:
        return self._task.name

    @property
    def task_text(self) -> str:
        return self._task.task_text

    @property
    def task(self) -> TaskSpec:
        return self._task

    @property
    def cameras(self) -> tuple[CameraSpec, ...]:
        return self._cameras

    @property
    def joint_names(self) -> tuple[str, ...]:
        return so101.JOINT_FEATURE_NAMES

    @property
    def fps(self) -> int:
        return self._config.fps

    @property
    def robot_type(self) -> str:
        return self._task.robot_type

    @property
    def backend(self) -> str:
        return "mujoco"

    @property
    def substeps(self) -> int:
        return self._substeps

    @property
    def model(self) -> mujoco.MjModel:
        """The compiled scene (for tools and tests; the session never needs it)."""
        return self._model

    # --- Env protocol: control -----------------------------------------------------------
    def reset(self, seed: int | None = None) -> Step:
        rng = np.random.default_rng(seed) if seed is not None else self._rng
        m, d = self._model, self._data
        mujoco.mj_resetData(m, d)
        rest = np.clip(so101.rest_pose_radians(), self._ctrl_lo, self._ctrl_hi)
        d.qpos[self._qpos_adr] = rest
        d.ctrl[self._actuator_ids] = rest
        # Draw every random number in a fixed order so a seed fixes the whole scene.
        for obj in self._task.objects:
            pos = self._object_home[obj.name].copy()
            pos[:2] += rng.uniform(-obj.xy_jitter, obj.xy_jitter, size=2)
            if obj.movable:
                adr = self._object_qpos[obj.name]
                d.qpos[adr : adr + 3] = pos
                d.qpos[adr + 3 : adr + 7] = (1.0, 0.0, 0.0, 0.0)
            else:
                m.body_pos[self._object_bodies[obj.name]] = pos
        for cam in self._task.cameras:
            cid = self._camera_ids[cam.name]
            home_pos, home_quat = self._camera_home[cam.name]
            m.cam_pos[cid] = home_pos + rng.uniform(-cam.pos_jitter, cam.pos_jitter, size=3)
            quat = home_quat.copy()
            if cam.rot_jitter_deg > 0:
                mujoco.mju_mulQuat(quat, small_rotation(rng, cam.rot_jitter_deg), home_quat)
            m.cam_quat[cid] = quat
        mujoco.mj_forward(m, d)
        for _ in range(round(SETTLE_SECONDS / m.opt.timestep)):
            mujoco.mj_step(m, d)
        self._has_reset = True
        return self._observe()

    def step(self, action: np.ndarray) -> Step:
        if not self._has_reset:
            raise EnvError("call reset() before step()")
        target = np.asarray(action, dtype=np.float64)
        if target.shape != (len(so101.JOINTS),):
            raise ValueError(
                f"action must have shape ({len(so101.JOINTS)},) with joint targets in "
                f"normalized units ordered {', '.join(so101.JOINT_FEATURE_NAMES)}; "
                f"got shape {target.shape}"
            )
        if not np.all(np.isfinite(target)):
            raise ValueError(f"action contains NaN or infinity: {target.tolist()}")
        radians = so101.normalized_to_radians(target)
        self._data.ctrl[self._actuator_ids] = np.clip(radians, self._ctrl_lo, self._ctrl_hi)
        mujoco.mj_step(self._model, self._data, nstep=self._substeps)
        if not np.all(np.isfinite(self._data.qpos)):
            raise EnvError("MuJoCo simulation diverged (non-finite state); reset the env")
        return self._observe()

    def close(self) -> None:
        """Free the renderer. Call from the thread that stepped the env; from any other
        thread the GL context cannot be made current, so it is kept until process exit
        (freeing it there would raise EGL_BAD_ACCESS from a finalizer)."""
        renderer, self._renderer = self._renderer, None
        if renderer is None:
            return
        if threading.get_ident() != self._render_thread:
            log.warning("MujocoEnv closed from a thread that does not own its renderer")
            _RENDERERS_OF_OTHER_THREADS.append(renderer)
        else:
            try:
                renderer.close()
            except Exception as exc:  # a GL error on close must not mask the caller's error
                log.warning("closing the MuJoCo renderer failed: %s", exc)
        self._render_thread = None

    # --- internals -----------------------------------------------------------------------
    def scene_state(self) -> SceneState:
        d = self._data
        positions = {name: d.xpos[bid].copy() for name, bid in self._object_bodies.items()}
        return SceneState(
            object_positions=positions,
            joint_radians=d.qpos[self._qpos_adr].copy(),
            robot_base=d.xpos[self._base_body].copy(),
        )

    def _observe(self) -> Step:
        scene = self.scene_state()
        images = self._render()
        return Step(
            state=so101.radians_to_normalized(scene.joint_radians),
            images=images,
            success=self._task.success.holds(scene),
            info=scene_info(
                scene.joint_radians,
                scene.object_positions,
                scene.robot_base,
                self._data.xquat[self._base_body].copy(),
                sim_time=float(self._data.time),
            ),
        )

    def _render(self) -> dict[str, np.ndarray]:
        renderer = self._ensure_renderer()
        images: dict[str, np.ndarray] = {}
        for name, cid in self._camera_ids.items():
            renderer.update_scene(self._data, camera=cid, scene_option=self._scene_option)
            images[name] = renderer.render()  # a fresh array every call, never reused
        return images

    def _ensure_renderer(self) -> mujoco.Renderer:
        thread = threading.get_ident()
        if self._renderer is not None:
            if thread != self._render_thread:
                raise EnvError(
                    "MujocoEnv was stepped from a different thread than the one that created "
                    "its renderer (GL contexts are thread-affine); reset, step and close the "
                    "env from one thread"
                )
            return self._renderer
        if gl.failure:
            raise EnvError(gl.failure)
        try:
            renderer = mujoco.Renderer(
                self._model, height=self._config.camera_height, width=self._config.camera_width
            )
        except Exception as exc:
            backend = gl.select_gl_backend()
            hint = gl.PACKAGE_HINT
            if not backend:
                hint = (
                    "`mujoco` was imported before leisaac_core's MuJoCo backend with MUJOCO_GL "
                    "unset; set MUJOCO_GL=egl (or osmesa) in the environment, or "
                    f"{gl.PACKAGE_HINT}"
                )
            raise EnvError(
                f"MuJoCo could not create an offscreen renderer with MUJOCO_GL="
                f"{backend or '(unset)'}: {exc}; {hint}"
            ) from exc
        flags = renderer.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
        flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
        flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = False
        self._renderer = renderer
        self._render_thread = thread
        return renderer
