"""Config of a leader arm on another machine, streamed here by `leisaac-dashboard leader relay`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leisaac_core.teleop.config import DeviceConfig


class RemoteLeaderConfig(DeviceConfig):
    type: Literal["remote_leader"] = "remote_leader"
    id: str = Field(
        "leader",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="The arm's name: the relay's --id (as lerobot's --teleop.id)",
    )
    stale_after_ms: float = Field(
        200,
        ge=20,
        le=10_000,
        description="No sample for this long holds the arm and pauses the episode, until "
        "samples come back",
    )
