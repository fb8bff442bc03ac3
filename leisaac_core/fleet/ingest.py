"""The head's writer: commits the workers' episodes into ONE dataset with the dataset journal.

Why not `DatasetWriter`: it encodes frames itself, and the workers have already encoded
theirs; re-encoding on the head would make the head the fleet's bottleneck. Why not
`merge_datasets`: it builds a new dataset from whole sources (reads every row), while a
fleet appends one episode at a time to a dataset that must stay loadable throughout.
So this is the writer's commit step alone, built from the same parts (`DatasetState`,
`Transaction`, `tables`, `layout`, `locks`): per episode it stages the frame table with its
indices shifted, adopts the received mp4s, appends the episode row and the running stats
and commits them atomically; O(1) in the size of the dataset. The writer lock is held for
the whole run, so a session or a second fleet cannot write the same dataset meanwhile; a
head killed mid-commit leaves a journal that `repair` finishes on the next open.
"""

from __future__ import annotations

import io
import logging
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.dataset import compaction, layout, locks, tables
from leisaac_core.dataset.fsutil import write_bytes_durable
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.merge import merge_differences
from leisaac_core.dataset.repair import repair
from leisaac_core.dataset.spec import DatasetExistsError, FeatureMismatchError
from leisaac_core.dataset.state import DatasetState
from leisaac_core.dataset.stats import numeric_stats
from leisaac_core.fleet.bundle import EpisodeBundle

log = logging.getLogger("leisaac.fleet")

# Commits between compactions (as DatasetWriter: each packs everything committed so far).
COMPACT_EVERY = 200

_INDEX_COLUMNS = ("episode_index", "index", "task_index")


class FleetWriter:
    def __init__(self, root: Path, repo_id: str, resume: bool) -> None:
        """Take the dataset at `root` (created by the first commit). An existing one needs
        `resume` (else DatasetExistsError, nothing touched); it is repaired first."""
        self.root = Path(root)
        self.repo_id = repo_id
        if layout.is_dataset(self.root) and not resume:
            raise DatasetExistsError(
                f"dataset {repo_id!r} already exists at {self.root}; pass --resume to continue "
                "it, or choose another repo id"
            )
        self._lock_fd = locks.acquire_writer_lock(self.root)
        try:
            self.repairs = repair(self.root)
            self._state = DatasetState.load(self.root) if layout.is_dataset(self.root) else None
        except BaseException:
            locks.release_writer_lock(self._lock_fd)
            raise
        self.commit_seconds: list[float] = []
        self._since_compaction = 0

    @property
    def episodes(self) -> int:
        return self._state.total_episodes if self._state is not None else 0

    def recorded_seeds(self) -> list[int]:
        """Seeds of the episodes already in the dataset (one column read, at resume)."""
        if self._state is None:
            return []
        table = tables.read_episodes_table(self.root, columns=["seed"])
        if table is None:
            return []
        return [int(s) for s in table.column("seed").to_pylist() if s is not None]

    def commit(self, bundle: EpisodeBundle) -> int:
        """Append the bundle's episode; returns its index once it is durable."""
        import time

        t0 = time.perf_counter()
        state = self._state_for(bundle)
        index = state.total_episodes
        start = state.total_frames
        task_index = state.task_index(bundle.task)
        frames = pq.read_table(io.BytesIO(bundle.frames))
        n = frames.num_rows
        if n != bundle.length:
            raise ValueError(
                f"episode of seed {bundle.seed}: {n} frames but length {bundle.length}"
            )
        frames = _set_int_column(frames, "episode_index", np.full(n, index))
        frames = _set_int_column(frames, "index", np.arange(start, start + n))
        frames = _set_int_column(frames, "task_index", np.full(n, task_index))

        txn = Transaction(
            self.root,
            f"fleet: commit episode {index} of {self.repo_id} (seed {bundle.seed}, "
            f"{bundle.worker})",
        )
        chunk, file = layout.slot_to_chunk_file(state.next_data_slot)
        tables.write_parquet(frames, txn.stage_path(layout.data_path(chunk, file)))
        row = dict(bundle.row)
        row.update(
            {
                "episode_index": index,
                "data/chunk_index": chunk,
                "data/file_index": file,
                "dataset_from_index": start,
                "dataset_to_index": start + n,
            }
        )
        tmp = layout.tmp_dir(self.root)
        tmp.mkdir(parents=True, exist_ok=True)
        for key in state.video_keys:
            vchunk, vfile = layout.slot_to_chunk_file(state.next_video_slots.get(key, 0))
            mp4 = tmp / f"fleet-{uuid.uuid4().hex[:12]}.mp4"
            write_bytes_durable(mp4, bundle.videos[key])
            txn.adopt(mp4, layout.video_path(key, vchunk, vfile))
            row[f"videos/{key}/chunk_index"] = vchunk
            row[f"videos/{key}/file_index"] = vfile
        for col in _INDEX_COLUMNS:
            row.update(tables.stats_to_row({col: numeric_stats(frames.column(col).to_numpy())}))
        episode_stats = tables.stats_from_row(row, list(state.features))
        new_state = state.with_episode(row, episode_stats, bundle.task)
        new_state.stage_commit(txn, tasks_changed=task_index == len(state.tasks))
        with locks.commit_lock(self.root):
            txn.commit()
        self._state = new_state
        self.commit_seconds.append(time.perf_counter() - t0)
        self._since_compaction += 1
        if self._since_compaction >= COMPACT_EVERY:
            self.compact(tiered=True)
        log.info("fleet: episode %d committed (seed %d, %s)", index, bundle.seed, bundle.worker)
        return index

    def compact(self, tiered: bool = False) -> None:
        """Pack the one-file-per-episode commits into lerobot-sized files (stream copy, one
        journaled change; in line with commits, which wait meanwhile). `tiered`, while
        recording: only what is new is joined (see compaction._group), so each run copies in
        proportion to the last 200 episodes, not the whole dataset; the pack at the end is
        full."""
        self._since_compaction = 0
        if self._state is None:
            return
        prepared = compaction.prepare(self.root, tiered=tiered)
        if prepared is not None:
            self._state = compaction.install(self.root, self._state, prepared, prepared.generation)

    def close(self) -> None:
        if self._lock_fd >= 0:
            locks.release_writer_lock(self._lock_fd)
            self._lock_fd = -1

    def _state_for(self, bundle: EpisodeBundle) -> DatasetState:
        if self._state is None:  # the first episode fixes fps, robot type and features
            info = bundle.info
            self._state = DatasetState.new(
                info.get("robot_type"), int(info["fps"]), info["features"]
            )
            return self._state
        diffs = merge_differences(
            [(self.repo_id, self._state.info), (f"{bundle.worker} seed {bundle.seed}", bundle.info)]
        )
        if diffs:
            raise FeatureMismatchError(
                f"an episode from {bundle.worker} does not fit {self.repo_id}:\n  - "
                + "\n  - ".join(diffs)
            )
        return self._state


def _set_int_column(table: pa.Table, name: str, values: Any) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(i), pa.array(np.asarray(values), pa.int64()))
