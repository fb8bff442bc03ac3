"""Config of the Isaac Lab backend (GPU). Importing this never imports Isaac Lab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.sim.config import EnvConfig


@dataclass
class IsaacLabEnvConfig(EnvConfig):
    type: ClassVar[str] = "isaaclab"
