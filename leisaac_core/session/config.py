"""What a session is asked to do. Validated once, at the edge (REST body or CLI flags)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leisaac_core.dataset.spec import validate_repo_id
from leisaac_core.session.gestures import HandsFreeConfig


class PolicyOptions(BaseModel):
    """How the `policy` device talks to its server and who may take over."""

    model_config = ConfigDict(extra="forbid")

    prefetch_ticks: int = Field(
        5, ge=0, le=1000, description="Ask for the next chunk when this many actions are left"
    )
    request_timeout_s: float = Field(
        10.0, gt=0, le=600, description="A reply slower than this fails the episode"
    )
    observation_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Rename observation keys for the server, ours -> theirs, e.g. "
        '{"observation.images.front": "observation/image", "task": "prompt"}',
    )
    takeover: Literal["keyboard", "gamepad", "so101_leader", "none"] = Field(
        "keyboard",
        description="Device a human takes over with while the policy drives (the leader arm "
        "uses device_port and device_calibration)",
    )


class SessionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field("so101_pick_orange", description="Task name, e.g. so101_pick_orange")
    backend: str = Field("mujoco", description="Sim backend: mujoco (CPU) or isaaclab (GPU)")
    env_process: bool | None = Field(
        None, description="Run the sim in its own env host process (default: isaaclab only)"
    )
    device: str = Field(
        "scripted", description="Teleop device: scripted, so101_leader, keyboard, gamepad"
    )
    device_port: str | None = Field(
        None, description="Leader arm port URL (/dev/ttyACM0, socket://...)"
    )
    device_calibration: Path | None = Field(None, description="Leader arm calibration JSON")
    repo_id: str = Field(
        ..., description="Dataset id 'namespace/name'", examples=["alice/pick_orange"]
    )
    root: Path | None = Field(
        None, description="Dataset directory; default <dataset_root>/<repo_id>"
    )
    resume: bool = Field(False, description="Append to an existing dataset (created if missing)")
    episodes: int = Field(
        10, ge=1, le=100_000, description="Episodes to save before the session ends"
    )
    fps: int = Field(30, ge=1, le=240)
    episode_time_s: float | None = Field(
        None, gt=0, le=3600, description="Episode time limit (timeout); default: the task's"
    )
    reset_time_s: float = Field(
        0.0, ge=0, le=600, description="Pause for the operator between episodes"
    )
    camera_width: int = Field(640, ge=16, le=4096)
    camera_height: int = Field(480, ge=16, le=4096)
    seed: int | None = Field(None, ge=0, description="Seed of the first episode; +1 per attempt")
    realtime: bool | None = Field(
        None, description="Pace at fps; default: on for humans, off for scripted"
    )
    warmup_frames: int = Field(5, ge=0, le=1000, description="Ticks after a reset not recorded")
    success_hold_ticks: int = Field(
        1, ge=1, le=1000, description="Ticks the success rule must hold"
    )
    success_tail_ticks: int = Field(0, ge=0, le=10_000, description="Ticks recorded after success")
    keep_failures: bool = Field(False, description="Keep failed episodes in '<name>_failures'")
    max_consecutive_failures: int = Field(
        5, ge=1, le=1000, description="Stop with an error after this many"
    )
    video_codec: Literal["h264", "av1"] = "h264"
    identity: str | None = Field(
        None,
        description="Robot identity of the dataset: 'lerobot' (robot_type so_follower, body "
        "joints in degrees, gripper 0..100: what lerobot-record writes for a real SO-101, so "
        "sim and real episodes merge) or 'leisaac' (so101_follower, normalized -100..100 as "
        "LeIsaac writes); default: lerobot on mujoco, leisaac on isaaclab",
    )
    push_every_episodes: int = Field(
        0, ge=0, le=100_000, description="Push to the Hub after every N saved episodes (0: off)"
    )
    push_private: bool = Field(False, description="Create the Hub repo private (auto-push)")
    note: str = Field("", max_length=2000, description="Operator note stored with each episode")
    policy_url: str | None = Field(
        None, description="Policy server (OpenPI websocket) for device 'policy', ws://HOST:PORT"
    )
    policy: PolicyOptions = Field(default_factory=PolicyOptions)
    reward_features: bool | None = Field(
        None,
        description="Record next.reward, next.done, next.success and intervention per frame; "
        "default: on for policy sessions, off otherwise (LeIsaac's layout)",
    )
    mode: Literal["record", "evaluate"] = Field(
        "record",
        description="evaluate: run exactly `episodes` episodes on seeds seed, seed+1, ..., keep "
        "every outcome labelled and write a report next to the dataset",
    )
    review: bool = Field(
        False,
        description="Review each saved episode on the page (keep or discard). Episodes are "
        "committed before review; only an explicit discard removes one, so an unreviewed "
        "episode is kept if the page closes",
    )
    hands_free: HandsFreeConfig = Field(
        default_factory=HandsFreeConfig, description="Leader-arm gestures that end episodes"
    )

    @field_validator("repo_id")
    @classmethod
    def _repo_id(cls, value: str) -> str:
        return validate_repo_id(value)

    @field_validator("identity")
    @classmethod
    def _identity(cls, value: str | None) -> str | None:
        from leisaac_core.dataset.identity import get_identity

        return None if value is None else get_identity(value).name  # ValueError names both

    @model_validator(mode="after")
    def _known_names(self) -> SessionConfig:
        # Imported here: the registries are light, but keep config importable on its own.
        from leisaac_core.sim import ENV_CONFIGS
        from leisaac_core.tasks import TASKS
        from leisaac_core.teleop import DEVICE_CONFIGS

        if self.backend not in ENV_CONFIGS:
            raise ValueError(
                f"unknown backend {self.backend!r}; choose one of {sorted(ENV_CONFIGS)}"
            )
        if self.device not in DEVICE_CONFIGS:
            raise ValueError(
                f"unknown device {self.device!r}; choose one of {sorted(DEVICE_CONFIGS)}"
            )
        # Isaac Lab also takes LeIsaac task ids directly; the embedded backend knows only its own.
        if self.backend == "mujoco" and self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {sorted(TASKS)}")
        if self.backend == "isaaclab":
            from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig

            # Raises ValueError naming the tasks it knows and the fps LeIsaac can record at.
            IsaacLabEnvConfig(task=self.task, fps=self.fps)
        if self.camera_width % 2 or self.camera_height % 2:
            raise ValueError(
                f"camera size {self.camera_width}x{self.camera_height}: width and height must be "
                "even (yuv420p video)"
            )
        if self.device == "so101_leader" and not self.device_port:
            raise ValueError("device so101_leader needs device_port, e.g. /dev/ttyACM0")
        if (
            self.device == "policy"
            and self.policy.takeover == "so101_leader"
            and not self.device_port
        ):
            raise ValueError("takeover with so101_leader needs device_port, e.g. /dev/ttyACM0")
        if self.policy_url is not None and not self.policy_url.startswith(("ws://", "wss://")):
            raise ValueError(f"policy_url {self.policy_url!r} must start with ws:// or wss://")
        return self

    @model_validator(mode="after")
    def _env_process(self) -> SessionConfig:
        from leisaac_core.sim import ALWAYS_HOSTED

        if self.backend in ALWAYS_HOSTED and self.env_process is False:
            raise ValueError(
                f"backend {self.backend} always runs in its own env host process; "
                "leave env_process unset or true"
            )
        return self

    @property
    def robot_identity(self) -> str:
        """`identity`, or the backend's default (leisaac_core.dataset.identity)."""
        from leisaac_core.dataset.identity import default_identity

        return self.identity if self.identity is not None else default_identity(self.backend)

    @property
    def records_rewards(self) -> bool:
        if self.reward_features is not None:
            return self.reward_features
        return self.device == "policy"

    @property
    def time_limit_s(self) -> float:
        if self.episode_time_s is not None:
            return self.episode_time_s
        from leisaac_core.tasks import TASKS

        task = TASKS.get(self.task)
        return task.episode_time_s if task is not None else 25.0
