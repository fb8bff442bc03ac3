"""Device configs: small pydantic models, importable without opening any hardware.

Each family's config names itself in `type`, so a session body lists its devices by it
(`{"devices": [{"type": "so101_leader", "port": "/dev/ttyACM0"}]}`), as lerobot chooses
teleoperators by `--teleop.type`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DeviceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str


def device_type(config_cls: type[DeviceConfig]) -> str:
    """The `type` a config class declares (its Literal default)."""
    return str(config_cls.model_fields["type"].default)
