"""Config of keyboard / gamepad teleoperation from the browser page."""

from __future__ import annotations

from typing import Literal

from leisaac_core.teleop.config import DeviceConfig


class KeyboardDeviceConfig(DeviceConfig):
    type: Literal["keyboard"] = "keyboard"


class GamepadDeviceConfig(DeviceConfig):
    type: Literal["gamepad"] = "gamepad"
