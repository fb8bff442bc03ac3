"""Config of the embedded MuJoCo backend (CPU, the default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.sim.config import EnvConfig


@dataclass
class MujocoEnvConfig(EnvConfig):
    type: ClassVar[str] = "mujoco"
