"""Config of the embedded MuJoCo backend (CPU, the default)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from leisaac_core.sim.config import EnvConfig


class MujocoEnvConfig(EnvConfig):
    type: Literal["mujoco"] = "mujoco"
    physics_timestep: float = Field(
        0.002,
        gt=0,
        le=0.01,
        description="Largest physics step (s); the env uses the largest step <= this that "
        "divides 1/fps",
    )

    @field_validator("task")
    @classmethod
    def _known_task(cls, task: str) -> str:
        from leisaac_core.tasks import TASKS

        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}")
        return task
