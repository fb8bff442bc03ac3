"""One finished episode on its way from a worker to the head: the encoded mp4 of each
camera and the frame table (state, action, indices), as bytes, plus the episode's row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leisaac_core.dataset import layout, tables


@dataclass(frozen=True)
class EpisodeBundle:
    seed: int
    worker: str
    info: dict[str, Any]  # the one-episode dataset's info.json (fps, robot type, features)
    task: str
    row: dict[str, Any]  # its meta/episodes row (stats, outcome, seed, QC columns)
    frames: bytes  # its data parquet file
    videos: dict[str, bytes] = field(default_factory=dict)  # by video key

    @property
    def length(self) -> int:
        return int(self.row["length"])

    @property
    def nbytes(self) -> int:
        return len(self.frames) + sum(len(v) for v in self.videos.values())


def pack_episode(root: Path, seed: int, worker: str) -> EpisodeBundle:
    """Read the single committed episode of the dataset at `root` into a bundle."""
    rows = tables.read_episode_rows(root)
    if len(rows) != 1:
        raise ValueError(f"{root} holds {len(rows)} episodes; a worker's dataset holds one")
    row = rows[0]
    info = json.loads((root / layout.INFO_PATH).read_text())
    videos = {}
    for key, feature in info["features"].items():
        if feature["dtype"] == "video":
            rel = layout.video_path(
                key, row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
            )
            videos[key] = (root / rel).read_bytes()
    frames = (root / layout.data_path(row["data/chunk_index"], row["data/file_index"])).read_bytes()
    return EpisodeBundle(
        seed=seed,
        worker=worker,
        info=info,
        task=row["tasks"][0],
        row=row,
        frames=frames,
        videos=videos,
    )
