"""Config of the scripted demonstrator (unattended data generation)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leisaac_core.teleop.config import DeviceConfig


class ScriptedDeviceConfig(DeviceConfig):
    type: Literal["scripted"] = "scripted"
    speed: float = Field(
        0.3, gt=0, le=2, description="Tool speed of straight moves (m/s); descents at half"
    )
    travel_height: float = Field(
        0.08, gt=0, le=0.3, description="Tool height above the table between grasp and place (m)"
    )
    vary: bool = Field(
        True,
        description="Vary the demonstration under the episode's seed (speed, travel height, "
        "grasp yaw, approach) as a human does; false: one fixed style for every seed",
    )
