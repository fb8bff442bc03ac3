"""One finished episode on its way from a worker to the head: the encoded mp4 of each
camera and the frame table (state, action, indices), as bytes, plus the episode's row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leisaac_core.dataset import DeliveredEpisode


@dataclass(frozen=True)
class EpisodeBundle:
    seed: int
    worker: str
    info: dict[str, Any]  # the worker dataset's info (fps, robot type, features)
    task: str
    row: dict[str, Any]  # its meta/episodes row (stats, outcome, seed, QC columns)
    frames: bytes  # its frame table, a parquet file
    videos: dict[str, bytes] = field(default_factory=dict)  # by video key

    @classmethod
    def of(cls, episode: DeliveredEpisode, seed: int, worker: str) -> EpisodeBundle:
        """The worker session's delivered episode, its bytes shared (not copied)."""
        return cls(
            seed, worker, episode.info, episode.task, episode.row, episode.frames, episode.videos
        )

    @property
    def length(self) -> int:
        return int(self.row["length"])

    @property
    def nbytes(self) -> int:
        return len(self.frames) + sum(len(v) for v in self.videos.values())
