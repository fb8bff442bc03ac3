"""Backend configs: small dataclasses, importable without importing any simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass
class EnvConfig:
    type: ClassVar[str] = ""
    task: str = "so101_pick_orange"
    fps: int = 30
    camera_width: int = 640
    camera_height: int = 480
