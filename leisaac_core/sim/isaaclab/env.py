"""Isaac Lab backend: one LeIsaac task (num_envs=1) behind the `Env` protocol.

Written against the documented Isaac Lab 2.3 / LeIsaac 0.4 API; it has NOT been run here
(no GPU, no NVIDIA package index on the machines this project is developed on).

Threading: construct, step and close this env in the session's worker thread only. The
first construction in a process starts the Isaac Sim app (Kit) in that thread; Kit cannot
be restarted inside a process, so the app lives until the process exits and later envs
reuse it. Importing this module imports neither torch nor Isaac Lab: both are imported in
the constructor, after the app has started, as Isaac Lab requires.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import signal
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from leisaac_core import so101
from leisaac_core.sim.base import CameraSpec, EnvError, Step
from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig

log = logging.getLogger(__name__)

INSTALL_HINT = "install Isaac Lab 2.3 + LeIsaac; see README GPU section"
CAMERA_NAMES: tuple[str, ...] = ("front", "wrist")
# LeIsaac's action layout for a leader arm: absolute joint targets in radians, arm joints
# then gripper, i.e. the order of so101.JOINTS.
_LEISAAC_DEVICE = "so101leader"

_app_lock = threading.Lock()
_app: Any = None  # the process's one Isaac Sim app


@contextlib.contextmanager
def _host_signal_handlers_kept() -> Iterator[None]:
    """Stop AppLauncher from installing its SIGINT/SIGTERM/SIGABRT/SIGSEGV handlers.

    They close the app and raise, which would replace the server's graceful shutdown, and
    `signal.signal` raises ValueError outside the main thread (we start in a worker thread).
    """
    original = signal.signal

    def keep_existing(signum: int, handler: Any) -> Any:
        log.debug("not letting Isaac Lab replace the handler of signal %s", signum)
        return signal.getsignal(signum)

    signal.signal = keep_existing  # type: ignore[assignment]
    try:
        yield
    finally:
        signal.signal = original


def _start_isaac_app(config: IsaacLabEnvConfig) -> None:
    """Start the Isaac Sim app once per process (headless, cameras enabled).

    AppLauncher exists in Isaac Lab 2.x and 3.0. 3.0's `launch_simulation` is a context
    manager whose exit closes the runtime (and may end the process), which fits a script, not
    a server that creates and closes one env per session, so it is not used here.
    """
    global _app
    with _app_lock:
        if _app is not None:
            return
        try:
            from isaaclab.app import AppLauncher
        except ImportError as exc:
            raise EnvError(
                f"Isaac Lab is not importable in this Python ({exc}); {INSTALL_HINT}"
            ) from exc
        launcher_args = {
            "headless": config.headless,
            "enable_cameras": True,
            "device": config.device,
        }
        log.info("starting the Isaac Sim app (%s); this takes a minute", launcher_args)
        try:
            with _host_signal_handlers_kept():
                _app = AppLauncher(launcher_args).app
        except Exception as exc:
            raise EnvError(f"the Isaac Sim app failed to start: {exc}") from exc


class _SuccessProbe:
    """Evaluates the task's `success` termination every step without ending the episode.

    Isaac Lab resets an env inside `step()` as soon as a termination fires; that would cut
    off the session's success hold and tail ticks. So the term stays in the termination
    manager (which resolves its parameters and calls it at the usual point of the step), but
    reports "not terminated" there and keeps the real value in `latest`.
    """

    def __init__(self, rule: Any, torch: Any) -> None:
        self._rule = rule
        self._torch = torch
        self.latest = False

    def __call__(self, env: Any, **params: Any) -> Any:
        value = self._rule(env, **params)
        self.latest = bool(value[0].item())
        return self._torch.zeros_like(value)


def _configure(env_cfg: Any, config: IsaacLabEnvConfig, torch: Any) -> _SuccessProbe | None:
    """Adapt a parsed LeIsaac env cfg to a recording session; return the success probe."""
    if hasattr(env_cfg, "use_teleop_device"):
        env_cfg.use_teleop_device(_LEISAAC_DEVICE)
    env_cfg.recorders = None  # we record; Isaac Lab's recorder would write HDF5 in the loop
    # One env.step() per control tick: physics substeps via decimation, one render per step.
    sim_dt = float(env_cfg.sim.dt)
    decimation = max(1, round(1.0 / (config.fps * sim_dt)))
    env_cfg.decimation = decimation
    env_cfg.sim.render_interval = decimation
    if abs(decimation * sim_dt - 1.0 / config.fps) > 1e-6:
        log.warning(
            "control period %.4f s (%d x sim dt %.4f s) differs from 1/fps = %.4f s",
            decimation * sim_dt,
            decimation,
            sim_dt,
            1.0 / config.fps,
        )
    for name in CAMERA_NAMES:
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
    if inspect.isclass(success_term.func):
        raise EnvError(
            "this task's success term is a class-based term, which the isaaclab backend "
            "cannot observe; use a LeIsaac task whose success term is a function"
        )
    probe = _SuccessProbe(success_term.func, torch)
    success_term.func = probe
    return probe


class IsaacLabEnv:
    """A LeIsaac Isaac Lab task with state/actions in LeRobot normalized units."""

    def __init__(self, config: IsaacLabEnvConfig) -> None:
        self._config = config
        self._task_id = config.task_id
        _start_isaac_app(config)
        try:
            import gymnasium as gym
            import torch
            from isaaclab_tasks.utils import parse_env_cfg

            importlib.import_module(config.task_package)  # registers the LeIsaac gym ids
        except ImportError as exc:
            raise EnvError(
                f"the Isaac app started but a package is missing ({exc}); {INSTALL_HINT}"
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
                f"{exc}"
            ) from exc
        self._success = _configure(env_cfg, config, torch)
        try:
            self._env = gym.make(self._task_id, cfg=env_cfg).unwrapped
        except Exception as exc:
            raise EnvError(f"creating the Isaac Lab env {self._task_id!r} failed: {exc}") from exc

        robot_joints = list(self._env.scene["robot"].joint_names)
        missing = [j for j in so101.JOINTS if j not in robot_joints]
        if missing:
            self.close()
            raise EnvError(f"task {self._task_id!r} robot lacks SO-101 joints {missing}")
        self._state_index = [robot_joints.index(j) for j in so101.JOINTS]
        action_dim = int(self._env.action_manager.total_action_dim)
        if action_dim != len(so101.JOINTS):
            self.close()
            raise EnvError(
                f"task {self._task_id!r} takes {action_dim}-D actions; this backend sends "
                f"{len(so101.JOINTS)} SO-101 joint targets"
            )
        self._cameras = tuple(
            CameraSpec(name, int(cam.height), int(cam.width))
            for name in CAMERA_NAMES
            if (cam := getattr(env_cfg.scene, name, None)) is not None
        )
        self._task_text = str(getattr(env_cfg, "task_description", None) or self._task_id)
        self._robot_type = str(getattr(env_cfg, "robot_name", None) or "so101_follower")

    # -- Env protocol: descriptions -----------------------------------------------------------

    @property
    def task_name(self) -> str:
        return self._config.task

    @property
    def task_text(self) -> str:
        return self._task_text

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
        targets = np.asarray(action, dtype=np.float64).reshape(-1)
        if targets.shape != (len(so101.JOINTS),) or not np.all(np.isfinite(targets)):
            raise ValueError(
                f"action must be {len(so101.JOINTS)} finite joint targets in normalized units, "
                f"got {np.asarray(action)!r}"
            )
        radians = so101.normalized_to_radians(np.clip(targets, _MOTOR_LO, _MOTOR_HI))
        torch = self._torch
        actions = torch.as_tensor(radians, dtype=torch.float32, device=env.device).reshape(1, -1)
        try:
            with torch.inference_mode():
                if self._reset_gripper_effort and getattr(
                    env.cfg, "dynamic_reset_gripper_effort_limit", False
                ):
                    self._reset_gripper_effort(env, _LEISAAC_DEVICE)
                obs, _reward, _terminated, _truncated, _extras = env.step(actions)
        except Exception as exc:
            raise EnvError(f"Isaac Lab step failed: {exc}") from exc
        success = self._success.latest if self._success is not None else False
        return self._to_step(obs, success=success)

    def close(self) -> None:
        """Close the env; the Isaac app stays up for the next session (Kit cannot restart)."""
        env, self._env = getattr(self, "_env", None), None
        if env is not None:
            env.close()

    # -- helpers ------------------------------------------------------------------------------

    def _live_env(self) -> Any:
        if self._env is None:
            raise EnvError("the Isaac Lab env is closed")
        return self._env

    def _to_step(self, obs: Mapping[str, Any], success: bool) -> Step:
        policy = obs["policy"]
        joint_rad = policy["joint_pos"][0].detach().cpu().numpy()[self._state_index]
        images = {cam.name: _image_to_numpy(policy[cam.name]) for cam in self._cameras}
        return Step(
            state=so101.radians_to_normalized(joint_rad),
            images=images,
            success=success,
            info={"joint_pos_rad": joint_rad.astype(np.float64), "objects": self._objects()},
        )

    def _objects(self) -> dict[str, np.ndarray]:
        """Positions of the task's rigid objects relative to the env origin (privileged)."""
        scene = self._env.scene
        origin = scene.env_origins[0]
        return {
            name: (obj.data.root_pos_w[0] - origin).detach().cpu().numpy().astype(np.float64)
            for name, obj in scene.rigid_objects.items()
        }


_MOTOR_LO = np.array([so101.MOTOR_RANGE[j][0] for j in so101.JOINTS])
_MOTOR_HI = np.array([so101.MOTOR_RANGE[j][1] for j in so101.JOINTS])


def _image_to_numpy(batch: Any) -> np.ndarray:
    """(1, H, W, C) torch image -> a private uint8 (H, W, 3) numpy copy.

    `.to("cpu", copy=True)` always copies, also on a CPU device, so the array never aliases
    a buffer the renderer overwrites on the next step.
    """
    image = batch[0, :, :, :3].detach().to("cpu", copy=True).numpy()
    if image.dtype != np.uint8:
        raise EnvError(
            f"camera observation is {image.dtype}, expected uint8 RGB; the task's image "
            "observation terms must use normalize=False (LeIsaac's default)"
        )
    return np.ascontiguousarray(image)
