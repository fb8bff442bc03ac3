"""Configs of policies in the loop: what a session asks of its policy server (`PolicyConfig`)
and the device that drives the arm from it (`PolicyDeviceConfig`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leisaac_core.teleop import HUMAN_DEVICES, AnyDeviceConfig
from leisaac_core.teleop.config import DeviceConfig


class PolicyConfig(BaseModel):
    """A policy server (OpenPI websocket protocol) and how to talk to it."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None,
        description="Policy server, ws://HOST:PORT; default: the server's configured one",
        examples=["ws://127.0.0.1:8765"],
    )
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

    @field_validator("url")
    @classmethod
    def _websocket_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("ws://", "wss://")):
            raise ValueError(f"policy url {url!r} must start with ws:// or wss://")
        return url


class PolicyDeviceConfig(DeviceConfig, PolicyConfig):
    """The policy device: a `PolicyConfig` with its URL resolved, plus what the session
    decides (pacing, units) and the human device that may take over."""

    type: Literal["policy"] = "policy"
    url: str = "ws://127.0.0.1:8765"
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
