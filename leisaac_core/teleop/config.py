"""Device configs: small dataclasses, importable without opening any hardware."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass
class DeviceConfig:
    type: ClassVar[str] = ""
