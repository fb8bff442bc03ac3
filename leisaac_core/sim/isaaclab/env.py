"""Isaac Lab backend: one LeIsaac task (num_envs=1) behind the `Env` protocol.

Written against Isaac Lab 2.3 / LeIsaac 0.4 (Isaac Sim 5.1). It has NOT run on a GPU yet:
what has been checked where is listed in the README's GPU section, and
`leisaac-dashboard doctor --isaac-check` runs the ordered GPU checks.

Process model: this env is only built inside an env host process
(`leisaac_core.sim.host`), on that process's main thread, and only once per process.
Isaac Sim owns its process: Kit replaces the asyncio event-loop policy, installs signal
handlers, parses argv, swaps `sys.stdout` and `sys.modules` entries while starting, reseeds
`random`/`numpy`/`torch` on every reset, and cannot build a second env on the same stage
after a failed or closed one. A fresh process per session keeps all of that away from the
server, and closing the env closes the app and ends the process.

Importing this module imports neither torch nor Isaac Lab: both are imported in the
constructor, after the app has started, as Isaac Lab requires.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from leisaac_core import so101
from leisaac_core.sim.base import CameraSpec, EnvError, Step
from leisaac_core.sim.info import scene_info
from leisaac_core.sim.isaaclab.config import LEISAAC_OBJECT_NAMES, IsaacLabEnvConfig, task_name
from leisaac_core.sim.isaaclab.layout import LeIsaacLayout, layout_of

log = logging.getLogger(__name__)

INSTALL_HINT = "install Isaac Lab 2.3 + LeIsaac; see README GPU section"
ASSETS_VARIABLE = "LEISAAC_ASSETS_ROOT"
# LeIsaac's action layout for leader arms (layout.py: `so101leader`, two arms
# `bi-so101leader`): absolute joint targets in radians, arm joints then gripper per arm.
# LeIsaac tunes its camera apertures for 640x480.
_CAMERA_ASPECT = 4 / 3

_built_in_this_process = False


def _claim_process() -> None:
    """Refuse anything but the first build on the main thread of an env host process."""
    global _built_in_this_process
    if threading.current_thread() is not threading.main_thread():
        raise EnvError(
            "the Isaac Lab env must be built on the main thread of its own process; "
            "make it with make_env_from_config(), which runs it in an env host process"
        )
    if _built_in_this_process:
        raise EnvError(
            "an Isaac Lab env was already built in this process; Isaac Lab cannot build a "
            "second one on the same stage: use one env host process per env"
        )
    _built_in_this_process = True


def resolve_assets_root(environ: Mapping[str, str], package_dir: Path | None) -> Path:
    """Where LeIsaac's USD assets are: $LEISAAC_ASSETS_ROOT, else `<checkout>/assets` of the
    LeIsaac source checkout that `package_dir` (the `leisaac` package folder) lives in.

    LeIsaac's own fallback is the git repository of the *current directory*, which is this
    project when the server runs from its checkout; that fails later inside a USD error.
    """
    if value := environ.get(ASSETS_VARIABLE):
        root = Path(value).expanduser()
        if not root.is_dir():
            raise EnvError(f"{ASSETS_VARIABLE}={value} is not a directory")
        return root.resolve()
    if package_dir is not None:
        # <checkout>/source/leisaac/leisaac -> <checkout>/assets
        candidate = package_dir.resolve().parents[2] / "assets"
        if candidate.is_dir():
            return candidate
    raise EnvError(
        f"cannot find LeIsaac's assets: set {ASSETS_VARIABLE} to the folder holding LeIsaac's "
        "USD scenes and robots (the 'assets' folder of a LeIsaac checkout; the Docker image "
        "sets it)"
    )


def _set_assets_root() -> None:
    spec = importlib.util.find_spec("leisaac")  # locate the package without importing it
    package_dir = Path(spec.origin).parent if spec is not None and spec.origin else None
    os.environ[ASSETS_VARIABLE] = str(resolve_assets_root(os.environ, package_dir))


def _start_isaac_app(config: IsaacLabEnvConfig) -> Any:
    """Start the Isaac Sim app (headless, cameras enabled) on this process's main thread."""
    try:
        from isaaclab.app import AppLauncher
    except ImportError as exc:
        raise EnvError(
            f"Isaac Lab is not importable in this Python ({exc}); {INSTALL_HINT}"
        ) from exc
    launcher_args = {"headless": config.headless, "enable_cameras": True, "device": config.device}
    log.info("starting the Isaac Sim app (%s); this takes a minute", launcher_args)
    try:
        return AppLauncher(launcher_args).app
    except Exception as exc:
        raise EnvError(f"the Isaac Sim app failed to start: {exc}") from exc


class SuccessProbe:
    """The latest value of the task's success term, as the termination manager computed it."""

    def __init__(self) -> None:
        self.latest = False


def make_success_term(
    rule: Callable[..., Any], torch: Any
) -> tuple[Callable[..., Any], SuccessProbe]:
    """Wrap the task's success rule so it is evaluated every step without ending the episode.

    Isaac Lab resets an env inside `step()` as soon as a termination fires; that would cut
    off the session's success hold and tail ticks. So the term stays in the termination
    manager (which resolves its parameters and calls it at the usual point of the step) but
    reports "not terminated" there and keeps the real value in the probe.

    Two details of Isaac Lab's managers shape this: the manager checks the term's signature
    statically against the configured params, so the wrapper carries the rule's signature
    (`functools.wraps` sets `__wrapped__`, which `inspect.signature` follows); and the
    manager deep-copies its cfg, which copies a callable object but keeps a function, so the
    wrapper is a function and the probe is reached through its closure.
    """
    probe = SuccessProbe()

    @functools.wraps(rule)
    def success_term(env: Any, **params: Any) -> Any:
        value = rule(env, **params)
        probe.latest = bool(value[0].item())
        return torch.zeros_like(value)

    return success_term, probe


def control_decimation(sim_dt: float, fps: int) -> int:
    """Physics steps per control tick; refuses an fps whose period is not whole sim steps."""
    decimation = round(1.0 / (fps * sim_dt))
    if decimation < 1 or abs(decimation * sim_dt - 1.0 / fps) > 1e-6:
        raise EnvError(
            f"fps {fps} is not a whole number of the task's physics steps ({sim_dt:.6f} s); "
            f"recorded time would not match simulated time. Use an fps that divides {1 / sim_dt:g}"
        )
    return decimation


def _configure(
    env_cfg: Any, config: IsaacLabEnvConfig, torch: Any, layout: LeIsaacLayout | None = None
) -> SuccessProbe | None:
    """Adapt a parsed LeIsaac env cfg to a recording session; return the success probe."""
    layout = layout or layout_of(config.task_id)
    if hasattr(env_cfg, "use_teleop_device"):
        env_cfg.use_teleop_device(layout.teleop_device)
    env_cfg.recorders = None  # we record; Isaac Lab's recorder would write HDF5 in the loop
    # One env.step() per control tick: physics substeps via decimation, one render per step.
    decimation = control_decimation(float(env_cfg.sim.dt), config.fps)
    env_cfg.decimation = decimation
    env_cfg.sim.render_interval = decimation
    # Render again after a reset, or the reset frame shows the scene before the reset.
    env_cfg.rerender_on_reset = True
    if hasattr(env_cfg, "num_rerenders_on_reset"):  # Isaac Lab 3.0's name for it
        env_cfg.num_rerenders_on_reset = max(1, int(env_cfg.num_rerenders_on_reset or 0))
    if abs(config.camera_width / config.camera_height - _CAMERA_ASPECT) > 1e-3:
        log.warning(
            "camera size %dx%d is not 4:3: LeIsaac's apertures are tuned for 640x480, so the "
            "vertical field of view changes",
            config.camera_width,
            config.camera_height,
        )
    for name in layout.cameras:
        camera_cfg = getattr(env_cfg.scene, name, None)
        if camera_cfg is not None:
            camera_cfg.width = config.camera_width
            camera_cfg.height = config.camera_height
            camera_cfg.update_period = 0.0  # a fresh frame every env.step()

    terminations = env_cfg.terminations
    if getattr(terminations, "time_out", None) is not None:
        terminations.time_out = None  # the session owns episode timeouts
    success_term = getattr(terminations, "success", None)
    if success_term is None:
        log.warning("task has no 'success' termination; only the operator can mark success")
        return None
    if inspect.isclass(success_term.func) or not callable(success_term.func):
        raise EnvError(
            "this task's success term is not a function, which the isaaclab backend cannot "
            "observe; use a LeIsaac task whose success term is a function"
        )
    success_term.func, probe = make_success_term(success_term.func, torch)
    return probe


class IsaacLabEnv:
    """A LeIsaac Isaac Lab task with state/actions in LeRobot normalized units."""

    def __init__(self, config: IsaacLabEnvConfig) -> None:
        _claim_process()
        self._config = config
        self._task_id = config.task_id
        self._env: Any = None
        missing = [m for m in ("isaaclab", "leisaac") if importlib.util.find_spec(m) is None]
        if missing:
            raise EnvError(f"{' and '.join(missing)} not installed in this Python; {INSTALL_HINT}")
        _set_assets_root()  # before LeIsaac is imported: it reads the variable at import
        self._app = _start_isaac_app(config)
        try:
            import gymnasium as gym
            import torch
            from isaaclab_tasks.utils import parse_env_cfg
        except ImportError as exc:
            raise EnvError(
                f"the Isaac app started but a package is missing ({exc}); {INSTALL_HINT}"
            ) from exc
        try:
            importlib.import_module(config.task_package)  # registers the LeIsaac gym ids
        except Exception as exc:  # LeIsaac swallows ImportErrors; others (pxr, 3.0 API) escape
            raise EnvError(
                f"importing {config.task_package!r} failed ({type(exc).__name__}: {exc}); "
                f"{INSTALL_HINT}"
            ) from exc
        self._torch = torch
        try:
            from leisaac.utils.env_utils import dynamic_reset_gripper_effort_limit_sim
        except ImportError:
            dynamic_reset_gripper_effort_limit_sim = None
        self._reset_gripper_effort = dynamic_reset_gripper_effort_limit_sim

        try:
            env_cfg = parse_env_cfg(self._task_id, device=config.device, num_envs=1)
        except Exception as exc:
            raise EnvError(
                f"cannot load the Isaac Lab task {self._task_id!r} from {config.task_package!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self._layout = layout = layout_of(self._task_id)
        self._success = _configure(env_cfg, config, torch, layout)
        try:
            self._env = gym.make(self._task_id, cfg=env_cfg).unwrapped
        except Exception as exc:
            raise EnvError(f"creating the Isaac Lab env {self._task_id!r} failed: {exc}") from exc

        self._state_index = {
            entity: joint_index(self._task_id, entity, list(self._env.scene[entity].joint_names))
            for _, entity in layout.arms
        }
        action_dim = int(self._env.action_manager.total_action_dim)
        if action_dim != layout.action_dim:
            raise EnvError(
                f"task {self._task_id!r} takes {action_dim}-D actions; this backend sends "
                f"{layout.action_dim} SO-101 joint targets ({len(layout.arms)} arm(s))"
            )
        self._cameras = tuple(
            CameraSpec(name, int(cam.height), int(cam.width))
            for name in layout.cameras
            if (cam := getattr(env_cfg.scene, name, None)) is not None
        )
        self._task_text = str(getattr(env_cfg, "task_description", None) or self._task_id)
        self._robot_type = str(getattr(env_cfg, "robot_name", None) or layout.robot_type)
        self._object_names = LEISAAC_OBJECT_NAMES.get(task_name(config.task), {})

    # -- Env protocol: descriptions -----------------------------------------------------------

    @property
    def task_name(self) -> str:
        return task_name(self._config.task)

    @property
    def task_text(self) -> str:
        return self._task_text

    @property
    def cameras(self) -> tuple[CameraSpec, ...]:
        return self._cameras

    @property
    def joint_names(self) -> tuple[str, ...]:
        return self._layout.joint_names

    @property
    def fps(self) -> int:
        return self._config.fps

    @property
    def robot_type(self) -> str:
        return self._robot_type

    @property
    def backend(self) -> str:
        return "isaaclab"

    # -- Env protocol: running ----------------------------------------------------------------

    def reset(self, seed: int | None = None) -> Step:
        env = self._live_env()
        if self._success is not None:
            self._success.latest = False
        try:
            with self._torch.inference_mode():
                obs, _extras = env.reset(seed=seed)
        except Exception as exc:
            raise EnvError(f"Isaac Lab reset failed: {exc}") from exc
        return self._to_step(obs, success=False)

    def step(self, action: np.ndarray) -> Step:
        env = self._live_env()
        targets = np.asarray(action, dtype=np.float64)
        names = self.joint_names
        if targets.shape != (len(names),):
            raise ValueError(
                f"action must have shape ({len(names)},) with joint targets in "
                f"normalized units ordered {', '.join(names)}; got shape {targets.shape}"
            )
        if not np.all(np.isfinite(targets)):
            raise ValueError(f"action contains NaN or infinity: {targets.tolist()}")
        arms = len(self._layout.arms)
        low, high = np.tile(_MOTOR_LO, arms), np.tile(_MOTOR_HI, arms)
        radians = so101.normalized_to_radians(np.clip(targets, low, high))
        torch = self._torch
        actions = torch.as_tensor(radians, dtype=torch.float32, device=env.device).reshape(1, -1)
        try:
            with torch.inference_mode():
                if self._reset_gripper_effort and getattr(
                    env.cfg, "dynamic_reset_gripper_effort_limit", False
                ):
                    self._reset_gripper_effort(env, self._layout.teleop_device)
                obs, _reward, _terminated, _truncated, _extras = env.step(actions)
        except Exception as exc:
            raise EnvError(f"Isaac Lab step failed: {exc}") from exc
        success = self._success.latest if self._success is not None else False
        return self._to_step(obs, success=success)

    def close(self) -> None:
        """Close the env and the Isaac Sim app; the env host process then exits."""
        env, self._env = self._env, None
        app, self._app = getattr(self, "_app", None), None
        try:
            if env is not None:
                env.close()
        finally:
            if app is not None:
                app.close()

    # -- helpers ------------------------------------------------------------------------------

    def _live_env(self) -> Any:
        if self._env is None:
            raise EnvError("the Isaac Lab env is closed")
        return self._env

    def _to_step(self, obs: Mapping[str, Any], success: bool) -> Step:
        policy = obs["policy"]
        images = {cam.name: _image_to_numpy(policy[cam.name]) for cam in self._cameras}
        scene = self._env.scene
        origin = scene.env_origins[0]
        # Each arm's joints from its articulation, arm after arm (LeIsaac's observation
        # terms name them per arm: joint_pos, or left_joint_pos and right_joint_pos).
        joint_rad = np.concatenate(
            [
                _numpy(scene[entity].data.joint_pos[0])[self._state_index[entity]]
                for _, entity in self._layout.arms
            ]
        )
        poses = {
            arm: (
                _numpy(scene[entity].data.root_pos_w[0] - origin),
                _numpy(scene[entity].data.root_quat_w[0]),  # (w, x, y, z) in Isaac Lab 2.x
            )
            for arm, entity in self._layout.arms
        }
        first = poses[self._layout.arms[0][0]]
        return Step(
            state=so101.radians_to_normalized(joint_rad),
            images=images,
            success=success,
            info=scene_info(
                joint_rad,
                self._objects(origin),
                first[0],
                first[1],
                arm_bases=poses if len(poses) > 1 else None,
            ),
        )

    def _objects(self, origin: Any) -> dict[str, np.ndarray]:
        """Positions of the task's rigid objects in the env's frame, named as in our TaskSpec."""
        return {
            self._object_names.get(name, name): _numpy(obj.data.root_pos_w[0] - origin)
            for name, obj in self._env.scene.rigid_objects.items()
        }


def joint_index(task_id: str, entity: str, robot_joints: list[str]) -> list[int]:
    """Where the SO-101 joints sit in an articulation's joint list (so101.JOINTS order)."""
    missing = [j for j in so101.JOINTS if j not in robot_joints]
    if missing:
        raise EnvError(f"task {task_id!r}: {entity} lacks SO-101 joints {missing}")
    return [robot_joints.index(j) for j in so101.JOINTS]


_MOTOR_LO = np.array([so101.MOTOR_RANGE[j][0] for j in so101.JOINTS])
_MOTOR_HI = np.array([so101.MOTOR_RANGE[j][1] for j in so101.JOINTS])


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float64)


def _image_to_numpy(batch: Any) -> np.ndarray:
    """(1, H, W, C) torch image -> a uint8 (H, W, 3) numpy array on the CPU.

    The env host copies it once more into shared memory, so it may alias nothing else.
    """
    image = batch[0, :, :, :3].detach().to("cpu").numpy()
    if image.dtype != np.uint8:
        raise EnvError(
            f"camera observation is {image.dtype}, expected uint8 RGB; the task's image "
            "observation terms must use normalize=False (LeIsaac's default)"
        )
    return image
