"""Config of the SO-101 leader arm on a Feetech serial bus."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from leisaac_core.teleop.config import DeviceConfig


@dataclass
class SO101LeaderConfig(DeviceConfig):
    type: ClassVar[str] = "so101_leader"
    # Anything serial.serial_for_url accepts: /dev/ttyACM0, socket://host:port, spy://...
    port: str = "/dev/ttyACM0"
    calibration_path: Path | None = None
