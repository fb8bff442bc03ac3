"""Config of keyboard / gamepad teleoperation from the browser page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.teleop.config import DeviceConfig


@dataclass
class KeyboardDeviceConfig(DeviceConfig):
    type: ClassVar[str] = "keyboard"


@dataclass
class GamepadDeviceConfig(DeviceConfig):
    type: ClassVar[str] = "gamepad"
