"""Config of the SO-101 leader arm on a Feetech serial bus."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from leisaac_core.teleop.config import DeviceConfig


class SO101LeaderConfig(DeviceConfig):
    type: Literal["so101_leader"] = "so101_leader"
    port: str = Field(
        ...,
        min_length=1,
        description="Serial port URL: /dev/ttyACM0, COM3, socket://host:port (anything "
        "pyserial's serial_for_url takes)",
        examples=["/dev/ttyACM0"],
    )
    calibration_path: Path | None = Field(
        None,
        description="A lerobot calibration JSON; default: lerobot's file for `id` "
        "($HF_LEROBOT_CALIBRATION/teleoperators/so_leader/<id>.json)",
    )
    id: str = Field("leader", description="The arm's name, as lerobot's --teleop.id")
    arm: Literal["left", "right"] | None = Field(
        None,
        description="Which arm of a two-arm task this leader drives (list one leader per arm). "
        "Its default calibration file is then lerobot's for a bimanual leader: <id>_<arm>.json",
    )
    baudrate: int = Field(1_000_000, gt=0)
    timeout_s: float = Field(0.05, gt=0, le=5, description="Per bus transaction")
    retries: int = Field(2, ge=0, le=20, description="Retries of a damaged or missing reply")
    reconnect_interval_s: float = Field(
        1.0, ge=0, le=60, description="After a fault, reopen the port at most this often"
    )

    @field_validator("calibration_path")
    @classmethod
    def _expand_home(cls, path: Path | None) -> Path | None:
        return None if path is None else path.expanduser()

    @property
    def calibration_id(self) -> str:
        """The calibration file's name: lerobot's bi_so_leader names its arms' files
        `{id}_left` and `{id}_right`."""
        return f"{self.id}_{self.arm}" if self.arm else self.id
