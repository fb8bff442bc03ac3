"""What a session is asked to do. Validated once, at the edge (REST body, CLI flags, the form).

Shaped like lerobot's `RecordConfig`: a handful of fields, with the sim, the devices, the
dataset, the episode loop and the policy as sub-configs. The env and the devices are the
registries' own configs, chosen by `type`, so a new option of a family is one field in its
config and nothing here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leisaac_core.dataset.spec import validate_repo_id
from leisaac_core.policy import PolicyConfig
from leisaac_core.session.gestures import HandsFreeConfig
from leisaac_core.sim import AnyEnvConfig
from leisaac_core.sim.mujoco.config import MujocoEnvConfig
from leisaac_core.teleop import HUMAN_DEVICES, AnyDeviceConfig
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig


def task_arms(task: str) -> tuple[str, ...] | None:
    """The arms of a task we know ("" for one unnamed arm), None for another (an Isaac Lab
    gym id of a task we do not replicate)."""
    from leisaac_core.sim.isaaclab.config import task_name
    from leisaac_core.tasks import TASKS

    spec = TASKS.get(task) or TASKS.get(task_name(task))
    return None if spec is None else tuple(arm.name for arm in spec.arms)


def check_leader_arms(devices: list[Any], arms: tuple[str, ...] | None) -> None:
    """Leader arms and the task's arms agree: one leader per arm of a two-arm task, each
    naming its `arm`; none named on a one-arm task."""
    leaders = [d for d in devices if isinstance(d, SO101LeaderConfig)]
    sides = [d.arm for d in leaders]
    if len(leaders) > 1 and (None in sides or len(set(sides)) != len(sides)):
        raise ValueError(
            f"devices: {len(leaders)} leader arms need each its own arm (left, right), got "
            f"{', '.join(str(s) for s in sides)}"
        )
    ports = [d.port for d in leaders]
    if len(set(ports)) != len(ports):
        raise ValueError(f"devices: two leader arms on one port ({', '.join(ports)})")
    if arms is None or not leaders:
        return
    named = [a for a in arms if a]
    if not named and any(sides):
        raise ValueError(
            f"devices: the task has one arm; leave the leader's arm unset (got arm {sides[0]!r})"
        )
    if named and sorted(s or "" for s in sides) != sorted(named):
        raise ValueError(
            f"devices: the task has {len(named)} arms ({', '.join(named)}): list one "
            f"so101_leader per arm, each with its arm ({', '.join(named)}); got "
            f"{len(leaders)} leader(s) with arm {', '.join(str(s) for s in sides)}"
        )


class DatasetConfig(BaseModel):
    """Where episodes go and what the dataset looks like."""

    model_config = ConfigDict(extra="forbid")

    repo_id: str = Field(
        ..., description="Dataset id 'namespace/name'", examples=["alice/pick_orange"]
    )
    root: Path | None = Field(
        None, description="Dataset directory; default <dataset_root>/<repo_id>"
    )
    resume: bool = Field(False, description="Append to an existing dataset (created if missing)")
    video_codec: Literal["h264", "av1"] = "h264"
    identity: str | None = Field(
        None,
        description="Robot identity of the dataset: 'lerobot' (robot_type so_follower, body "
        "joints in degrees, gripper 0..100: what lerobot-record writes for a real SO-101, so "
        "sim and real episodes merge) or 'leisaac' (so101_follower, normalized -100..100 as "
        "LeIsaac writes); default: lerobot on mujoco, leisaac on isaaclab",
    )
    keep_failures: bool = Field(False, description="Keep failed episodes in '<name>_failures'")
    reward_features: bool | None = Field(
        None,
        description="Record next.reward, next.done, next.success and intervention per frame; "
        "default: on for policy sessions, off otherwise (LeIsaac's layout)",
    )
    push_every_episodes: int = Field(
        0, ge=0, le=100_000, description="Push to the Hub after every N saved episodes (0: off)"
    )
    push_private: bool = Field(False, description="Create the Hub repo private (auto-push)")

    @field_validator("repo_id")
    @classmethod
    def _repo_id(cls, value: str) -> str:
        return validate_repo_id(value)

    @field_validator("identity")
    @classmethod
    def _identity(cls, value: str | None) -> str | None:
        from leisaac_core.dataset.identity import get_identity

        return None if value is None else get_identity(value).name  # ValueError names both


class EpisodeConfig(BaseModel):
    """How each episode runs: its times, pacing, warm-up, success and how it may end."""

    model_config = ConfigDict(extra="forbid")

    time_s: float | None = Field(
        None, gt=0, le=3600, description="Episode time limit (timeout); default: the task's"
    )
    reset_time_s: float = Field(
        0.0, ge=0, le=600, description="Pause for the operator between episodes"
    )
    seed: int | None = Field(None, ge=0, description="Seed of the first episode; +1 per attempt")
    realtime: bool | None = Field(
        None, description="Pace at the fps; default: on for humans, off for scripted"
    )
    warmup_frames: int = Field(5, ge=0, le=1000, description="Ticks after a reset not recorded")
    success_hold_ticks: int = Field(
        1, ge=1, le=1000, description="Ticks the success rule must hold"
    )
    success_tail_ticks: int = Field(0, ge=0, le=10_000, description="Ticks recorded after success")
    max_consecutive_failures: int = Field(
        5, ge=1, le=1000, description="Stop with an error after this many"
    )
    review: bool = Field(
        False,
        description="Review each saved episode on the page (keep or discard). Episodes are "
        "committed before review; only an explicit discard removes one, so an unreviewed "
        "episode is kept if the page closes",
    )
    note: str = Field("", max_length=2000, description="Operator note stored with each episode")
    hands_free: HandsFreeConfig = Field(
        default_factory=HandsFreeConfig, description="Leader-arm gestures that end episodes"
    )


class SessionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["record", "evaluate"] = Field(
        "record",
        description="evaluate: run exactly `episodes` episodes on seeds seed, seed+1, ..., keep "
        "every outcome labelled and write a report next to the dataset",
    )
    episodes: int = Field(
        10, ge=1, le=100_000, description="Episodes to save (record) or run (evaluate)"
    )
    env: AnyEnvConfig = Field(
        default_factory=MujocoEnvConfig, description="The simulation, chosen by `type`"
    )
    devices: list[AnyDeviceConfig] = Field(
        default_factory=list,
        description="Devices by `type`. Without a policy, the one device that drives the arm "
        '(default [{"type": "scripted"}]); with a policy, the person who may take over '
        '(default [{"type": "keyboard"}]; [] for nobody)',
    )
    policy: PolicyConfig | None = Field(
        None, description="A policy server drives the arm (the devices may take over)"
    )
    dataset: DatasetConfig
    episode: EpisodeConfig = Field(default_factory=EpisodeConfig)

    @model_validator(mode="before")
    @classmethod
    def _default_devices(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("devices") is None:
            default = {"type": "keyboard" if data.get("policy") is not None else "scripted"}
            data = {**data, "devices": [default]}
        return data

    @model_validator(mode="after")
    def _devices_fit(self) -> SessionConfig:
        types = [d.type for d in self.devices]
        if self.policy is None and not types:
            raise ValueError("devices: name the device that drives the arm, e.g. scripted")
        if self.policy is None and len(types) > 1 and set(types) != {"so101_leader"}:
            raise ValueError(
                f"devices: one device drives the arm, got {len(types)} ({', '.join(types)}); "
                "add a policy for a device that takes over, or list one so101_leader per arm"
            )
        if self.policy is not None:
            if len(types) > 1:
                raise ValueError(f"devices: one person takes over from the policy, got {types}")
            if types and types[0] not in HUMAN_DEVICES:
                raise ValueError(
                    f"devices: {types[0]!r} cannot take over from a policy; a person does, with "
                    f"one of {sorted(HUMAN_DEVICES)}"
                )
        arms = task_arms(self.env.task)
        if self.policy is not None and "so101_leader" in types and arms and len(arms) > 1:
            raise ValueError(
                "devices: on a two-arm task a person takes over from the policy with the "
                "keyboard or a gamepad (one arm at a time); two leader arms cannot take over yet"
            )
        check_leader_arms(self.devices, arms)
        return self

    @property
    def driver(self) -> str:
        """Name of the device that drives the arm ("policy" when a policy does)."""
        if self.policy is not None:
            return "policy"
        return "bi_so101_leader" if len(self.devices) > 1 else self.devices[0].type

    @property
    def robot_identity(self) -> str:
        """`dataset.identity`, or the backend's default (leisaac_core.dataset.identity)."""
        from leisaac_core.dataset.identity import default_identity

        identity = self.dataset.identity
        return identity if identity is not None else default_identity(self.env.type)

    @property
    def records_rewards(self) -> bool:
        if self.dataset.reward_features is not None:
            return self.dataset.reward_features
        return self.policy is not None

    @property
    def time_limit_s(self) -> float:
        if self.episode.time_s is not None:
            return self.episode.time_s
        from leisaac_core.tasks import TASKS

        task = TASKS.get(self.env.task)
        return task.episode_time_s if task is not None else 25.0
