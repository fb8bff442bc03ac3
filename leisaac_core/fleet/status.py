"""What a fleet run shows: immutable snapshots, built by the coordinator loop only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    state: str  # starting, recording, restarting, failed, stopped
    node: str = ""
    pid: int | None = None
    seed: int | None = None  # the seed under way
    waiting: tuple[int, ...] = ()  # seeds handed to it after that one
    episodes_saved: int = 0
    episodes_failed: int = 0
    episodes_per_hour: float = 0.0
    restarts: int = 0
    error: str = ""


@dataclass(frozen=True)
class FleetStatus:
    state: str  # idle, starting, running, finished, stopped, error
    repo_id: str = ""
    root: str = ""
    episodes_target: int = 0
    episodes_in_dataset: int = 0
    episodes_saved: int = 0  # by this run
    seeds_failed: dict[int, str] = field(default_factory=dict)
    episodes_per_hour: float = 0.0
    elapsed_s: float = 0.0
    commit_ms_p50: float = 0.0  # the head's commit of one received episode
    commit_ms_p99: float = 0.0
    commit_ms_max: float = 0.0
    workers: tuple[WorkerStatus, ...] = ()
    message: str = ""
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seeds_failed"] = {str(k): v for k, v in self.seeds_failed.items()}
        return out
