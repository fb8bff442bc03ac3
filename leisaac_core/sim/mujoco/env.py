"""The embedded MuJoCo backend: SO-101 scenes built from TaskSpecs, rendered on the CPU.

One `step` = one control period at the dataset fps: the joint targets go to position
actuators, physics runs several substeps, both cameras render, and the task's success rule is
evaluated. The cameras render concurrently in threads of their own (see render.py), created
on the first reset; any one thread at a time may reset, step and close the env.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from leisaac_core import so101
from leisaac_core.sim.base import CameraSpec, EnvError, Step
from leisaac_core.sim.info import scene_info
from leisaac_core.sim.mujoco import gl
from leisaac_core.sim.mujoco.config import MujocoEnvConfig
from leisaac_core.sim.mujoco.render import SceneRenderer
from leisaac_core.sim.mujoco.scene import (
    FAR_MESH_CELL_M,
    build_scene_xml,
    far_twins,
    small_rotation,
)
from leisaac_core.tasks import SceneState, TaskSpec, get_task

gl.select_gl_backend()
import mujoco  # noqa: E402  (MUJOCO_GL must be set before this import)

log = logging.getLogger(__name__)

SETTLE_SECONDS = 0.1  # physics run after placing objects so they rest on the table


class MujocoEnv:
    def __init__(self, config: MujocoEnvConfig) -> None:
        # fps, camera size, task and timestep were checked by MujocoEnvConfig.
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

        arms = self._task.arms
        names = [arm.prefix + j for arm in arms for j in so101.JOINTS]
        self._qpos_adr = np.array([m.jnt_qposadr[jnt(n)] for n in names])
        self._actuator_ids = np.array(
            [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, n) for n in names]
        )
        self._ctrl_lo = m.actuator_ctrlrange[self._actuator_ids, 0].copy()
        self._ctrl_hi = m.actuator_ctrlrange[self._actuator_ids, 1].copy()
        self._arm_bases = {
            arm.name: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, arm.prefix + "base")
            for arm in arms
        }
        self._base_body = next(iter(self._arm_bases.values()))
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
        self._rng = np.random.default_rng()  # resets without a seed
        self._renderer: SceneRenderer | None = None
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
        return self._task.joint_feature_names

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
        rest = np.clip(so101.rest_pose_radians(len(self._task.arms)), self._ctrl_lo, self._ctrl_hi)
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
        if self._renderer is not None:
            self._renderer.reset()
        return self._observe()

    def step(self, action: np.ndarray) -> Step:
        if not self._has_reset:
            raise EnvError("call reset() before step()")
        target = np.asarray(action, dtype=np.float64)
        names = self.joint_names
        if target.shape != (len(names),):
            raise ValueError(
                f"action must have shape ({len(names)},) with joint targets in "
                f"normalized units ordered {', '.join(names)}; got shape {target.shape}"
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
        """Stop the camera render threads and free their GL contexts (from any thread)."""
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            try:
                renderer.close()
            except Exception as exc:  # a GL error on close must not mask the caller's error
                log.warning("closing the MuJoCo renderer failed: %s", exc)

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
                arm_bases=self._arm_poses() if len(self._arm_bases) > 1 else None,
                object_quats={
                    name: self._data.xquat[bid].copy() for name, bid in self._object_bodies.items()
                },
            ),
        )

    def _arm_poses(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        d = self._data
        return {arm: (d.xpos[b].copy(), d.xquat[b].copy()) for arm, b in self._arm_bases.items()}

    def _render(self) -> dict[str, np.ndarray]:
        if self._renderer is None:
            self._renderer = self._make_renderer()
        try:
            return self._renderer.render(self._data)
        except Exception as exc:
            raise EnvError(self._render_failure(exc)) from exc

    def _make_renderer(self) -> SceneRenderer:
        if gl.failure:
            raise EnvError(gl.failure)
        names = [self._model.geom(i).name for i in range(self._model.ngeom)]
        return SceneRenderer(
            self._model,
            self._camera_ids,
            self._config.camera_width,
            self._config.camera_height,
            far_twins=far_twins(names),
            far_cell_m=FAR_MESH_CELL_M,
        )

    @staticmethod
    def _render_failure(exc: Exception) -> str:
        backend = gl.select_gl_backend()
        hint = gl.PACKAGE_HINT
        if not backend:
            hint = (
                "`mujoco` was imported before leisaac_core's MuJoCo backend with MUJOCO_GL "
                "unset; set MUJOCO_GL=egl (or osmesa) in the environment, or "
                f"{gl.PACKAGE_HINT}"
            )
        return (
            f"MuJoCo could not render offscreen with MUJOCO_GL={backend or '(unset)'}: "
            f"{exc}; {hint}"
        )
