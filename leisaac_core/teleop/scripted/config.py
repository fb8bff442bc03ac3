"""Config of the scripted demonstrator (unattended data generation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.teleop.config import DeviceConfig


@dataclass
class ScriptedDeviceConfig(DeviceConfig):
    type: ClassVar[str] = "scripted"
    # Tool speed for straight-line moves (m/s); descents and lifts run at half of it.
    speed: float = 0.3
    # Height of the tool point above the table when travelling between grasp and place (m).
    travel_height: float = 0.08
    # Vary the demonstration under the episode's seed (speed, travel height, grasp yaw by
    # wrist roll, approach direction), as a human does; False: one fixed style for every seed.
    vary: bool = True
