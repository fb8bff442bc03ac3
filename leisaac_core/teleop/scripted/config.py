"""Config of the scripted demonstrator (unattended data generation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.teleop.config import DeviceConfig


@dataclass
class ScriptedDeviceConfig(DeviceConfig):
    type: ClassVar[str] = "scripted"
