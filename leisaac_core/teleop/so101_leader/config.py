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
    # A lerobot calibration JSON; None means lerobot's default file for `id`:
    # $HF_LEROBOT_CALIBRATION/teleoperators/so_leader/<id>.json
    calibration_path: Path | None = None
    # The arm's name, as lerobot's --teleop.id (names the default calibration file).
    id: str = "leader"
    baudrate: int = 1_000_000
    # Per bus transaction; damaged or missing replies are retried `retries` times.
    timeout_s: float = 0.05
    retries: int = 2
    # After a fault, reopen the port at most this often (reads in between fail fast).
    reconnect_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.port:
            raise ValueError("so101_leader needs a port, e.g. /dev/ttyACM0 or socket://host:port")
        if self.calibration_path is not None:
            self.calibration_path = Path(self.calibration_path).expanduser()
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries}")
        if self.timeout_s <= 0 or self.reconnect_interval_s < 0:
            raise ValueError("timeout_s must be > 0 and reconnect_interval_s >= 0")
