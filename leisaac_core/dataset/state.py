"""The committed state of a dataset held in memory, and the metadata files it implies.

Sized for datasets of any length: the state holds counters, the running dataset stats and
only the LAST meta/episodes file (at most layout.EPISODES_PER_META_FILE rows), never every
episode row. Loading reads info.json, stats.json, tasks.parquet and that last file; a commit
rewrites that last file (or starts the next one), info.json, stats.json and, for a new task,
tasks.parquet. Both cost the same at 10 episodes and at 100,000.

Every change (commit, delete, merge, compaction) builds the next state, stages its files
through a journal transaction and only then replaces the in-memory state. Whole-dataset
changes (delete, merge, compaction) rebuild the state from every row with `rebuild`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from leisaac_core.dataset import layout, stats, tables
from leisaac_core.dataset.fsutil import json_bytes
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.spec import CODEBASE_VERSION


@dataclass
class DatasetState:
    info: dict[str, Any]
    tasks: list[str] = field(default_factory=list)
    total_episodes: int = 0
    total_frames: int = 0
    stats: dict[str, stats.RunningStats] = field(default_factory=dict)
    tail: pa.Table | None = None  # rows of the last meta/episodes file
    tail_slot: int = -1  # that file's slot; -1 when the dataset has no episode
    next_data_slot: int = 0  # data and video files get slots after every existing one,
    next_video_slots: dict[str, int] = field(default_factory=dict)  # so files sort in order
    schema: pa.Schema | None = None  # of the episode rows: ours plus any extra columns

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
        """Bounded: info, tasks, stats and the last meta/episodes file only."""
        info = read_info(root)
        files = layout.episodes_files(root)
        tail = tables.read_parquet_plain(files[-1]) if files else None
        state = cls(
            info=info,
            tasks=tables.read_tasks(root),
            total_episodes=int(info.get("total_episodes") or 0),
            total_frames=int(info.get("total_frames") or 0),
            tail=tail,
            tail_slot=layout.slot_of(files[-1]) if files else -1,
        )
        state._check_tail(root)
        state._slots_after_tail()
        stats_path = root / layout.STATS_PATH
        if state.total_episodes and stats_path.exists():
            stored = json.loads(stats_path.read_text())
            for key, value in stored.items():
                running = stats.RunningStats.of({k: np.asarray(v) for k, v in value.items()})
                if running is not None:
                    state.stats[key] = running
        elif state.total_episodes:  # not written by us: aggregate from every row, once
            full = tables.read_episodes_table(root)
            state.stats = running_stats_of(per_episode_stats(full, list(info["features"])))
        return state

    def _check_tail(self, root: Path) -> None:
        if self.tail is None or self.tail.num_rows == 0:
            if self.total_episodes:
                raise ValueError(f"{root}: info.json counts episodes but meta/episodes is empty")
            return
        last = self.tail.slice(self.tail.num_rows - 1).to_pylist()[0]
        if (
            int(last["episode_index"]) != self.total_episodes - 1
            or int(last["dataset_to_index"]) != self.total_frames
        ):
            raise ValueError(
                f"{root}: meta/info.json ({self.total_episodes} episodes, {self.total_frames} "
                f"frames) disagrees with the last episode row (episode "
                f"{last['episode_index']}, ending at frame {last['dataset_to_index']})"
            )

    def _slots_after_tail(self) -> None:
        self.next_data_slot = 0
        self.next_video_slots = {key: 0 for key in self.video_keys}
        if self.tail is None or self.tail.num_rows == 0:
            return
        last = self.tail.slice(self.tail.num_rows - 1).to_pylist()[0]
        self.next_data_slot = (
            layout.chunk_file_to_slot(last["data/chunk_index"], last["data/file_index"]) + 1
        )
        for key in self.video_keys:
            chunk = last.get(f"videos/{key}/chunk_index")
            if chunk is not None:
                slot = layout.chunk_file_to_slot(chunk, last[f"videos/{key}/file_index"])
                self.next_video_slots[key] = slot + 1

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

    def episodes_schema(self) -> pa.Schema:
        if self.schema is None:
            ours = tables.episodes_schema(self.features)
            self.schema = ours
            if self.tail is not None and tables.covers(self.tail.schema, ours):
                self.schema = self.tail.schema  # keeps extra columns and their order
        return self.schema

    def tail_matches_schema(self) -> bool:
        """False when the last rows lack some of our columns or type them differently (a
        dataset from another tool): then every file is rewritten once (see writer)."""
        return self.tail is None or tables.covers(
            self.tail.schema, tables.episodes_schema(self.features)
        )

    def task_index(self, task: str) -> int:
        """Index of `task` (one past the end when it is new)."""
        try:
            return self.tasks.index(task)
        except ValueError:
            return len(self.tasks)

    # ---- one more episode ------------------------------------------------------------------------
    def with_episode(
        self, row: dict[str, Any], episode_stats: Mapping[str, stats.Stats], task: str
    ) -> DatasetState:
        """The state after appending `row` (its file slots already taken from this state).
        O(1) in the number of episodes; `self` is left unchanged."""
        schema = self.episodes_schema()
        new_file = self.tail is None or self.tail.num_rows >= layout.EPISODES_PER_META_FILE
        slot = self.tail_slot + 1 if new_file else self.tail_slot
        chunk, file = layout.slot_to_chunk_file(slot)
        row = {**row, "meta/episodes/chunk_index": chunk, "meta/episodes/file_index": file}
        one = tables.episodes_table([row], schema)
        tail = one if new_file or self.tail is None else pa.concat_tables([self.tail, one])
        running = dict(self.stats)
        for key, value in episode_stats.items():
            current = running.get(key)
            added = current.add(value) if current is not None else stats.RunningStats.of(value)
            if added is not None:
                running[key] = added
        next_video = dict(self.next_video_slots)
        for key in self.video_keys:
            if row.get(f"videos/{key}/chunk_index") is not None:
                next_video[key] = (
                    layout.chunk_file_to_slot(
                        row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
                    )
                    + 1
                )
        return DatasetState(
            info=dict(self.info),
            tasks=self.tasks if task in self.tasks else [*self.tasks, task],
            total_episodes=self.total_episodes + 1,
            total_frames=int(row["dataset_to_index"]),
            stats=running,
            tail=tail,
            tail_slot=slot,
            next_data_slot=layout.chunk_file_to_slot(
                row["data/chunk_index"], row["data/file_index"]
            )
            + 1,
            next_video_slots=next_video,
            schema=schema,
        )

    # ---- metadata files ------------------------------------------------------------------------
    def finalized_info(self) -> dict[str, Any]:
        info = dict(self.info)
        info["total_episodes"] = self.total_episodes
        info["total_frames"] = self.total_frames
        info["total_tasks"] = len(self.tasks)
        info["splits"] = {"train": f"0:{self.total_episodes}"} if self.total_episodes else {}
        return info

    def dataset_stats(self) -> dict[str, stats.Stats]:
        return {key: self.stats[key].result() for key in self.features if key in self.stats}

    def stage_commit(self, txn: Transaction, tasks_changed: bool) -> None:
        """Stage what one appended episode changes: info, stats, the last episodes file and
        (for a new task) the tasks table."""
        self.info = self.finalized_info()
        txn.stage_bytes(layout.INFO_PATH, json_bytes(self.info))
        if tasks_changed:
            tables.write_parquet(tables.tasks_table(self.tasks), txn.stage_path(layout.TASKS_PATH))
        txn.stage_bytes(layout.STATS_PATH, json_bytes(stats.to_jsonable(self.dataset_stats())))
        assert self.tail is not None
        tables.write_parquet(self.tail, txn.stage_path(layout.episodes_path(self.tail_slot)))


def read_info(root: Path) -> dict[str, Any]:
    info = json.loads((Path(root) / layout.INFO_PATH).read_text())
    version = info.get("codebase_version")
    if version != CODEBASE_VERSION:
        raise ValueError(
            f"{root} is a LeRobot {version} dataset; only {CODEBASE_VERSION} is supported "
            "(convert it with lerobot's convert_dataset_v21_to_v30 first)"
        )
    return info


def per_episode_stats(table: pa.Table | None, feature_keys: Sequence[str]) -> list[stats.Stats]:
    """Each row's stored episode stats ({feature: {stat: array}}), in row order."""
    if table is None:
        return []
    columns = [c for c in table.column_names if c.startswith("stats/")]
    return [tables.stats_from_row(r, feature_keys) for r in table.select(columns).to_pylist()]


def running_stats_of(episodes: Sequence[Mapping[str, stats.Stats]]) -> dict[str, Any]:
    out: dict[str, stats.RunningStats] = {}
    for ep in episodes:
        for key, value in ep.items():
            current = out.get(key)
            added = current.add(value) if current is not None else stats.RunningStats.of(value)
            if added is not None:
                out[key] = added
    return out


def rebuild(
    root: Path,
    txn: Transaction,
    info: dict[str, Any],
    tasks: list[str],
    table: pa.Table | None,
    episode_stats: Sequence[Mapping[str, stats.Stats]] | None = None,
) -> DatasetState:
    """Stage the complete metadata of a dataset whose episode rows are `table` (in episode
    order, any columns; meta/episodes indices are set here), replacing every existing
    meta/episodes file; returns the state it commits to. O(episodes): for whole-dataset
    changes only. `episode_stats` defaults to the stats stored in the rows."""
    state = DatasetState(info=dict(info), tasks=list(tasks))
    schema = tables.episodes_schema(state.features)
    if table is not None:
        schema = tables.extend_schema(schema, table.schema)
    state.schema = schema
    n = table.num_rows if table is not None else 0
    if episode_stats is None:
        episode_stats = per_episode_stats(table, list(state.features))
    written: set[str] = set()
    for slot, (start, length) in enumerate(_meta_file_spans(n)):
        assert table is not None
        part = tables.with_meta_slot(_conform(table.slice(start, length), schema), slot)
        rel = layout.episodes_path(slot)
        tables.write_parquet(part, txn.stage_path(rel), layout.META_ROW_GROUP)
        written.add(rel)
        state.tail, state.tail_slot = part, slot
    for path in layout.episodes_files(root):
        rel = path.relative_to(root).as_posix()
        if rel not in written:
            txn.remove(rel)
    state.total_episodes = n
    if n:
        assert state.tail is not None
        state.total_frames = int(state.tail.column("dataset_to_index")[-1].as_py())
    state.stats = running_stats_of(episode_stats)
    state._slots_after_tail()
    state.info = state.finalized_info()
    txn.stage_bytes(layout.INFO_PATH, json_bytes(state.info))
    tables.write_parquet(tables.tasks_table(state.tasks), txn.stage_path(layout.TASKS_PATH))
    if n:
        txn.stage_bytes(layout.STATS_PATH, json_bytes(stats.to_jsonable(state.dataset_stats())))
    elif (root / layout.STATS_PATH).exists():
        txn.remove(layout.STATS_PATH)
    return state


def _meta_file_spans(n: int) -> list[tuple[int, int]]:
    """(start, rows) of each meta/episodes file for `n` rows: packed files, then a last file
    small enough for commits to keep appending to cheaply."""
    tail = n % layout.EPISODES_PER_META_FILE or min(n, layout.EPISODES_PER_META_FILE)
    head, step = n - tail, layout.PACKED_EPISODES_PER_META_FILE
    spans = [(start, min(step, head - start)) for start in range(0, head, step)]
    return [*spans, (head, tail)] if tail else spans


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns, in its order (missing ones null)."""
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.table(columns, schema=schema)


def referenced_files(root: Path, state: DatasetState | None = None) -> list[str]:
    """Every file the committed metadata points to, plus the metadata files. Reads the file
    index columns of every episode row (for the push snapshot and whole-dataset checks)."""
    info = state.info if state is not None else read_info(root)
    video_keys = [k for k, f in info["features"].items() if f["dtype"] == "video"]
    files = {layout.INFO_PATH, layout.TASKS_PATH}
    columns = ["data/chunk_index", "data/file_index"]
    for key in video_keys:
        columns += [f"videos/{key}/chunk_index", f"videos/{key}/file_index"]
    for path in layout.episodes_files(root):
        files.add(path.relative_to(root).as_posix())
        t = tables.read_parquet_plain(path, columns).to_pydict()
        if t["data/chunk_index"]:
            files.add(layout.STATS_PATH)
        for c, f in zip(t["data/chunk_index"], t["data/file_index"], strict=True):
            files.add(layout.data_path(c, f))
        for key in video_keys:
            chunks, fidx = t[f"videos/{key}/chunk_index"], t[f"videos/{key}/file_index"]
            for c, f in zip(chunks, fidx, strict=True):
                if c is not None:
                    files.add(layout.video_path(key, c, f))
    return sorted(files)
