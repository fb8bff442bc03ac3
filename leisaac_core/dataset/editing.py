"""Deleting episodes so that the dataset stays a valid LeRobot v3 dataset.

Episodes after the first deleted one move down: their data files are rewritten with new
`episode_index` / `index` values (same file names, so files still sort in episode order),
their rows get new `dataset_from_index` / `dataset_to_index`, and stats are re-aggregated.
Videos are not re-encoded: a kept episode keeps pointing at its mp4 span; an mp4 no kept
episode uses is removed. All of it is one journaled transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.dataset import layout, locks, tables
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.maintenance import open_writer_for
from leisaac_core.dataset.repair import repair
from leisaac_core.dataset.state import DatasetState, rebuild
from leisaac_core.dataset.stats import numeric_stats


def check_indices(total_episodes: int, indices: Sequence[int]) -> list[int]:
    n = total_episodes
    bad = [i for i in indices if not isinstance(i, int | np.integer) or not 0 <= int(i) < n]
    if bad:
        raise ValueError(
            f"episode indices {bad} do not exist; the dataset has episodes 0..{n - 1}"
            if n
            else f"episode indices {bad} do not exist; the dataset has no episodes"
        )
    return sorted({int(i) for i in indices})


def delete_from_state(root: Path, state: DatasetState, indices: Sequence[int]) -> DatasetState:
    """Delete episodes from the dataset at `root` (writer lock held); returns the new state.
    Reads every episode row (a whole-dataset change)."""
    doomed = set(check_indices(state.total_episodes, indices))
    if not doomed:
        return state
    full = tables.read_episodes_table(root)
    assert full is not None
    rows = full.to_pylist()
    keys = list(state.features)
    episode_stats = [tables.stats_from_row(r, keys) for r in rows]
    first = min(doomed)
    kept = [i for i in range(len(rows)) if i not in doomed]
    new_index = {old: new for new, old in enumerate(kept)}
    txn = Transaction(root, f"delete episodes {sorted(doomed)}")

    new_rows, new_stats = [], []
    cursor = 0
    for old in kept:
        row = dict(rows[old])
        ep_stats = dict(episode_stats[old])
        length = int(row["length"])
        row["episode_index"] = new_index[old]
        row["dataset_from_index"] = cursor
        row["dataset_to_index"] = cursor + length
        if old > first:
            ep_stats["episode_index"] = numeric_stats(np.full(length, new_index[old], np.int64))
            ep_stats["index"] = numeric_stats(np.arange(cursor, cursor + length, dtype=np.int64))
            row.update(tables.stats_to_row(ep_stats))
        cursor += length
        new_rows.append(row)
        new_stats.append(ep_stats)

    def data_file(row: dict) -> str:
        return layout.data_path(row["data/chunk_index"], row["data/file_index"])

    def video_file(row: dict, key: str) -> str:
        return layout.video_path(
            key, row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
        )

    # Rewrite every data file holding an episode at or after the first deleted one.
    files: dict[str, list[int]] = {}
    for old, row in enumerate(rows):
        files.setdefault(data_file(row), []).append(old)
    for rel, olds in files.items():
        if max(olds) < first:
            continue
        survivors = [o for o in olds if o not in doomed]
        if not survivors:
            txn.remove(rel)
            continue
        table = pq.read_table(root / rel)
        ep_col = table.column("episode_index").to_numpy()
        mask = np.isin(ep_col, survivors)
        table = table.filter(pa.array(mask))
        ep_col = table.column("episode_index").to_numpy()
        frame_col = table.column("frame_index").to_numpy()
        new_ep = np.array([new_index[int(e)] for e in ep_col], dtype=np.int64)
        from_idx = {new_index[o]: new_rows[new_index[o]]["dataset_from_index"] for o in survivors}
        new_abs = np.array([from_idx[int(e)] for e in new_ep], dtype=np.int64) + frame_col
        metadata = table.schema.metadata
        table = table.set_column(
            table.schema.get_field_index("episode_index"), "episode_index", pa.array(new_ep)
        )
        table = table.set_column(table.schema.get_field_index("index"), "index", pa.array(new_abs))
        table = table.replace_schema_metadata(metadata)
        tables.write_parquet_per_episode(table, txn.stage_path(rel))

    still_used = {video_file(r, key) for r in new_rows for key in state.video_keys}
    for old in doomed:
        for key in state.video_keys:
            rel = video_file(rows[old], key)
            if rel not in still_used:
                txn.remove(rel)
    table = pa.Table.from_pylist(new_rows, schema=full.schema) if new_rows else None
    new_state = rebuild(root, txn, state.info, state.tasks, table, new_stats)
    with locks.commit_lock(root):
        txn.commit()
    return new_state


def delete_episodes(dataset_dir: Path | str, indices: Sequence[int]) -> None:
    """Delete episodes; safe while this process records into the same dataset."""
    root = Path(dataset_dir)
    if not layout.is_dataset(root):
        raise FileNotFoundError(f"no LeRobot dataset at {root}")
    writer = open_writer_for(root)
    if writer is not None:
        writer.wait_idle()
        check_indices(writer.num_episodes, indices)
        writer.delete_episodes(indices).result()
        return
    fd = locks.acquire_writer_lock(root)
    try:
        repair(root)
        delete_from_state(root, DatasetState.load(root), indices)
    finally:
        locks.release_writer_lock(fd)
