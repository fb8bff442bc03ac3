"""Backend configs: small pydantic models, importable without importing any simulator.

Each backend's config names itself in `type`, so a session body chooses the backend by it
(`{"env": {"type": "isaaclab", ...}}`), as lerobot chooses robots by `--robot.type`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leisaac_core.limits import CameraSide, Fps


class EnvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    task: str = Field("so101_pick_orange", description="Task name, e.g. so101_pick_orange")
    fps: Fps = 30
    camera_width: CameraSide = 640
    camera_height: CameraSide = 480
    hosted: bool = Field(
        False,
        description="Run the sim in its own env host process (a crash there is an episode "
        "error, not the server's)",
    )

    @model_validator(mode="after")
    def _even_camera(self) -> EnvConfig:
        if self.camera_width % 2 or self.camera_height % 2:
            raise ValueError(
                f"camera size {self.camera_width}x{self.camera_height}: width and height must be "
                "even (yuv420p video)"
            )
        return self


def config_type(config_cls: type[EnvConfig]) -> str:
    """The `type` a config class declares (its Literal default)."""
    return str(config_cls.model_fields["type"].default)
