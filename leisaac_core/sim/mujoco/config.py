"""Config of the embedded MuJoCo backend (CPU, the default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.sim.config import EnvConfig


@dataclass
class MujocoEnvConfig(EnvConfig):
    type: ClassVar[str] = "mujoco"
    # Largest physics step (s); the env uses the largest step <= this that divides 1/fps.
    physics_timestep: float = 0.002
    # Seed for resets called without one (None: fresh entropy).
    seed: int | None = None
