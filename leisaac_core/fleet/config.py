"""What a fleet run is asked to do: a session template plus the fleet's own options."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leisaac_core.session import SessionConfig


class FleetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session: SessionConfig = Field(
        ...,
        description="Template for every worker's session. `episodes` is the number of "
        "episodes the dataset holds at the end, `episode.seed` the first seed (default 0), "
        "`dataset` the one target dataset.",
    )
    workers: int = Field(2, ge=1, le=1024, description="Ray actors, one session each")
    address: str | None = Field(
        None, description="Ray cluster: 'auto', 'HOST:PORT' or None to start a local instance"
    )
    cpus_per_worker: float = Field(1.0, gt=0, le=256)
    gpus_per_worker: float | None = Field(
        None, ge=0, le=16, description="Default: 1 for isaaclab, 0 otherwise"
    )
    max_restarts: int = Field(
        3, ge=0, le=1000, description="Times Ray restarts a worker whose process died"
    )
    max_seed_failures: int = Field(
        20, ge=1, le=100_000, description="Stop after this many failed seeds in a row"
    )

    @model_validator(mode="after")
    def _worker_sessions(self) -> FleetConfig:
        s = self.session
        if s.driver not in ("scripted", "policy"):
            raise ValueError(
                f"device {s.driver!r} needs a person at the machine; a fleet runs unattended "
                "devices only (scripted, or a policy)"
            )
        if s.dataset.keep_failures or s.dataset.push_every_episodes:
            raise ValueError(
                "dataset.keep_failures and dataset.push_every_episodes are not fleet options yet"
            )
        return self

    @property
    def num_gpus(self) -> float:
        if self.gpus_per_worker is not None:
            return self.gpus_per_worker
        return 1.0 if self.session.env.type == "isaaclab" else 0.0

    @property
    def first_seed(self) -> int:
        seed = self.session.episode.seed
        return seed if seed is not None else 0
