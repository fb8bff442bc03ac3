"""Configs of policies in the loop: what a session asks of its policy (`PolicyConfig`, chosen
by `type`: a policy server already running, or a checkpoint the session serves itself) and
the device that drives the arm from it (`PolicyDeviceConfig`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from leisaac_core.teleop import HUMAN_DEVICES, AnyDeviceConfig
from leisaac_core.teleop.config import DeviceConfig


def _websocket_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("ws://", "wss://")):
        raise ValueError(f"policy url {url!r} must start with ws:// or wss://")
    return url


class PolicyClientConfig(BaseModel):
    """How the session talks to its policy server (OpenPI websocket protocol)."""

    model_config = ConfigDict(extra="forbid")

    connect_timeout_s: float = Field(5.0, gt=0, le=600)
    request_timeout_s: float = Field(
        10.0, gt=0, le=600, description="A reply slower than this fails the episode"
    )
    prefetch_ticks: int = Field(
        5, ge=0, le=1000, description="Ask for the next chunk when this many actions are left"
    )
    observation_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Rename observation keys for the server, ours -> theirs, e.g. "
        '{"observation.images.front": "observation/image", "task": "prompt"}. Ours: '
        "observation.state, observation.images.<camera>, task, episode_start",
    )


class PolicyServerConfig(PolicyClientConfig):
    """A policy server that is already running, at `url`."""

    type: Literal["server"] = "server"
    url: str | None = Field(
        None,
        description="Policy server, ws://HOST:PORT; default: the server's configured one",
        examples=["ws://127.0.0.1:8765"],
    )

    _url = field_validator("url")(_websocket_url)


class PolicyCheckpointConfig(PolicyClientConfig):
    """A lerobot checkpoint the session serves itself: it starts `policy serve --policy PATH`
    in the lerobot environment's Python as a child process before the first episode and
    stops it when the session ends (leisaac_core.policy.launcher)."""

    type: Literal["checkpoint"] = "checkpoint"
    path: str = Field(
        ...,
        min_length=1,
        description="A lerobot pretrained policy: a local checkpoint folder (its "
        "pretrained_model) or a Hub id",
        examples=["outputs/lift_act/checkpoints/last/pretrained_model", "me/lift_act"],
    )
    python: str | None = Field(
        None,
        description="Python of the lerobot environment that serves it (lerobot, torch); "
        "default: the server's configured one (~/.cache/leisaac-dashboard/"
        "lerobot-reader-venv/bin/python, prepared by tests/compat/setup_lerobot_reader.sh)",
    )
    device: Literal["cpu", "cuda"] = Field("cpu", description="torch device of the policy")
    startup_timeout_s: float = Field(
        120.0, gt=0, le=240, description="Time the policy server has to load and listen"
    )


def _policy_type(value: Any) -> Any:
    """The kind of policy a config names; a body that names none means a running server."""
    if isinstance(value, dict):
        return value.get("type", "server")
    return getattr(value, "type", None)


# A session's policy, told apart by its `type`.
PolicyConfig = Annotated[
    Annotated[PolicyServerConfig, Tag("server")]
    | Annotated[PolicyCheckpointConfig, Tag("checkpoint")],
    Discriminator(
        _policy_type,
        custom_error_type="unknown_policy_type",
        custom_error_message="unknown policy type; choose one of: checkpoint, server",
    ),
]


class PolicyDeviceConfig(DeviceConfig, PolicyClientConfig):
    """The policy device: how to talk to the policy server at `url` (resolved), plus what
    the session decides (pacing, units) and the human device that may take over."""

    type: Literal["policy"] = "policy"
    url: str = "ws://127.0.0.1:8765"
    _url = field_validator("url")(_websocket_url)
    # Wait for each chunk instead of holding the arm: for runs not paced at the fps (sim time
    # is virtual there), which makes them reproducible.
    lockstep: bool = False
    # Robot identity of the joint values the server sees and sends (see
    # leisaac_core.dataset.identity): a policy runs on the identity it was trained on, so a
    # session passes its dataset's. "leisaac" is the env's own normalized units.
    identity: str = "leisaac"
    takeover: AnyDeviceConfig | None = Field(
        None, description="The device a person takes over with while the policy drives"
    )

    @field_validator("identity")
    @classmethod
    def _known_identity(cls, identity: str) -> str:
        from leisaac_core.dataset.identity import get_identity

        return get_identity(identity).name  # ValueError naming the identities

    @field_validator("takeover")
    @classmethod
    def _human_takeover(cls, takeover: DeviceConfig | None) -> DeviceConfig | None:
        if takeover is not None and takeover.type not in HUMAN_DEVICES:
            raise ValueError(
                f"take over with {takeover.type!r}: a person takes over, with one of "
                f"{sorted(HUMAN_DEVICES)}"
            )
        return takeover
