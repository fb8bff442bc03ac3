"""The committed state of a dataset held in memory, and the metadata files it implies.

Loaded once when a writer opens; every change (commit, delete) builds the next state, stages
its files through a journal transaction and only then replaces the in-memory state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leisaac_core.dataset import layout, stats, tables
from leisaac_core.dataset.fsutil import json_bytes
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.spec import CODEBASE_VERSION


@dataclass
class DatasetState:
    info: dict[str, Any]
    tasks: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Per-episode stats, parallel to rows: {feature: {stat: array}}
    episode_stats: list[dict[str, stats.Stats]] = field(default_factory=list)

    @classmethod
    def new(cls, robot_type: str, fps: int, features: dict[str, dict[str, Any]]) -> DatasetState:
        info = {
            "codebase_version": CODEBASE_VERSION,
            "robot_type": robot_type,
            "total_episodes": 0,
            "total_frames": 0,
            "total_tasks": 0,
            "chunks_size": layout.CHUNKS_SIZE,
            "data_files_size_in_mb": layout.DATA_FILES_SIZE_IN_MB,
            "video_files_size_in_mb": layout.VIDEO_FILES_SIZE_IN_MB,
            "fps": fps,
            "splits": {},
            "data_path": layout.DATA_PATH,
            "video_path": layout.VIDEO_PATH,
            "features": features,
        }
        return cls(info=info)

    @classmethod
    def load(cls, root: Path) -> DatasetState:
        info = json.loads((root / layout.INFO_PATH).read_text())
        version = info.get("codebase_version")
        if version != CODEBASE_VERSION:
            raise ValueError(
                f"{root} is a LeRobot {version} dataset; only {CODEBASE_VERSION} is supported "
                "(convert it with lerobot's convert_dataset_v21_to_v30 first)"
            )
        rows = tables.read_episode_rows(root)
        keys = list(info["features"])
        return cls(
            info=info,
            tasks=tables.read_tasks(root),
            rows=rows,
            episode_stats=[tables.stats_from_row(r, keys) for r in rows],
        )

    # ---- derived facts -----------------------------------------------------------------------
    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.info["features"]

    @property
    def fps(self) -> int:
        return int(self.info["fps"])

    @property
    def video_keys(self) -> list[str]:
        return [k for k, f in self.features.items() if f["dtype"] == "video"]

    @property
    def total_frames(self) -> int:
        return int(self.rows[-1]["dataset_to_index"]) if self.rows else 0

    def next_data_slot(self) -> int:
        """A data file slot after every existing one, so files sort in episode order."""
        slots = [
            layout.chunk_file_to_slot(r["data/chunk_index"], r["data/file_index"])
            for r in self.rows
        ]
        return max(slots, default=-1) + 1

    def next_video_slot(self, key: str) -> int:
        slots = [
            layout.chunk_file_to_slot(r[f"videos/{key}/chunk_index"], r[f"videos/{key}/file_index"])
            for r in self.rows
            if r.get(f"videos/{key}/chunk_index") is not None
        ]
        return max(slots, default=-1) + 1

    def data_file(self, row: dict[str, Any]) -> str:
        return layout.data_path(row["data/chunk_index"], row["data/file_index"])

    def video_file(self, row: dict[str, Any], key: str) -> str:
        return layout.video_path(
            key, row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
        )

    def referenced_files(self) -> list[str]:
        """Every file the committed metadata points to, plus the metadata files."""
        files = {layout.INFO_PATH, layout.TASKS_PATH}
        if self.rows:
            files |= {layout.STATS_PATH, layout.EPISODES_PATH}
        for row in self.rows:
            files.add(self.data_file(row))
            for key in self.video_keys:
                files.add(self.video_file(row, key))
        return sorted(files)

    # ---- metadata files ------------------------------------------------------------------------
    def finalized_info(self) -> dict[str, Any]:
        info = dict(self.info)
        info["total_episodes"] = len(self.rows)
        info["total_frames"] = self.total_frames
        info["total_tasks"] = len(self.tasks)
        info["splits"] = {"train": f"0:{len(self.rows)}"} if self.rows else {}
        return info

    def dataset_stats(self) -> dict[str, stats.Stats]:
        out = {}
        for key in self.features:
            agg = stats.aggregate(s[key] for s in self.episode_stats if key in s)
            if agg is not None:
                out[key] = agg
        return out

    def stage_metadata(self, txn: Transaction, episodes_files: list[Path]) -> None:
        """Stage info, stats, tasks and the episodes table for this state into `txn`.

        `episodes_files` are the existing meta/episodes files (absolute); all rows go into
        one file, so any other file (e.g. from a lerobot-written dataset) is removed.
        """
        self.info = self.finalized_info()
        txn.stage_bytes(layout.INFO_PATH, json_bytes(self.info))
        tables.write_parquet(tables.tasks_table(self.tasks), txn.stage_path(layout.TASKS_PATH))
        if self.rows:
            txn.stage_bytes(layout.STATS_PATH, json_bytes(stats.to_jsonable(self.dataset_stats())))
            schema = tables.episodes_schema(self.features)
            tables.write_parquet(
                tables.episodes_table(self.rows, schema), txn.stage_path(layout.EPISODES_PATH)
            )
        else:
            txn.remove(layout.STATS_PATH)
            txn.remove(layout.EPISODES_PATH)
        for path in episodes_files:
            rel = path.relative_to(txn.root).as_posix()
            if rel != layout.EPISODES_PATH:
                txn.remove(rel)
