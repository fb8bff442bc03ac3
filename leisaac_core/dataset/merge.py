"""Merge whole datasets into a new one, published all at once.

Sources must agree on fps, robot type and features (every difference is listed otherwise).
Each source is first snapshotted (hard links taken under its commit lock: a consistent,
immutable view while its recorder keeps committing), then:
- tasks are unioned in order of first appearance and task indices remapped;
- data files are rewritten with shifted episode_index / index and remapped task_index, one
  parquet row group per episode, one output file per source file (order kept, so files sort
  in episode order);
- video files are stream-copied whole (hard links where possible, else byte copies): every
  episode keeps its span (from/to timestamps) in its file, nothing is re-encoded; a
  compaction then packs the result into lerobot-sized files (stream copy again, any codec);
- episode rows keep every column, including our extra ones (outcome, seed, frames dropped,
  QC results from other tools), with indices, file slots and the per-episode stats of
  episode_index / index / task_index adjusted; dataset stats are re-aggregated.
All or nothing: the merged dataset is built and packed in a work folder inside the target's
private folder (`<parent>/.<name>.leisaac/merge-<id>/`, same filesystem), and one atomic
directory rename publishes it at the target path. A failure removes the work folder; a
kill -9 leaves no target (the work folder is removed by the next merge into that target or
the next open, and the dataset browser never lists it) or the finished, packed one.
Sources are only read. Reads every row: merge is a whole-dataset operation.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.dataset import compaction, layout, locks, tables
from leisaac_core.dataset.fsutil import fsync_dir
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.progress import Progress, ProgressFn, no_progress
from leisaac_core.dataset.repair import repair
from leisaac_core.dataset.snapshot import snapshot_committed
from leisaac_core.dataset.spec import DatasetExistsError
from leisaac_core.dataset.state import DatasetState, read_info, rebuild

log = logging.getLogger(__name__)

# Per-episode stats that hold indices, shifted when episodes move.
_SHIFTED_STATS = ("min", "max", "mean", "q01", "q10", "q50", "q90", "q99")


class MergeError(ValueError):
    """The datasets cannot be merged; the message lists every difference."""


@dataclass(frozen=True)
class MergeResult:
    repo_id: str
    path: Path
    sources: tuple[str, ...]
    episodes: int
    frames: int
    tasks: int


def merge_differences(named_infos: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """Every way the datasets differ from the first one in fps, robot type or features."""
    (first_name, first), *others = named_infos
    diffs: list[str] = []
    for name, info in others:
        prefix = f"{name} vs {first_name}"
        for attr in ("fps", "robot_type"):
            if info.get(attr) != first.get(attr):
                diffs.append(f"{prefix}: {attr} {info.get(attr)!r} != {first.get(attr)!r}")
        a, b = info.get("features", {}), first.get("features", {})
        for key in sorted(set(a) - set(b)):
            diffs.append(f"{prefix}: feature {key} only in {name}")
        for key in sorted(set(b) - set(a)):
            diffs.append(f"{prefix}: feature {key} only in {first_name}")
        for key in sorted(set(a) & set(b)):
            fa, fb = a[key], b[key]
            for attr in ("dtype", "shape", "names"):
                va, vb = fa.get(attr), fb.get(attr)
                if attr == "shape":
                    va, vb = list(va or []), list(vb or [])
                if va != vb:
                    diffs.append(f"{prefix}: {key}.{attr} {va!r} != {vb!r}")
            if fa.get("dtype") == "video":
                for attr in ("video.codec", "video.pix_fmt", "video.fps"):
                    va = (fa.get("info") or {}).get(attr)
                    vb = (fb.get("info") or {}).get(attr)
                    if va != vb:
                        diffs.append(f"{prefix}: {key}.{attr} {va!r} != {vb!r}")
    return diffs


# The work folder of a merge into `<parent>/<name>`: `<parent>/.<name>.leisaac/merge-<id>/`,
# holding the sources' snapshots and the merged dataset being built (`dataset/<name>`).
# repair() removes any it finds (a killed merge's).
MERGE_WORK_PREFIX = "merge-"


def merge_datasets(
    sources: Sequence[tuple[str, Path]],
    into_repo_id: str,
    into: Path,
    compact: bool = True,
    progress: ProgressFn = no_progress,
) -> MergeResult:
    """Merge the datasets `sources` ((repo id, folder), in order) into the new dataset
    `into`, packed into lerobot-sized files unless `compact` is False.

    All or nothing: the merged dataset is built (and packed) in a work folder inside the
    target's private folder (same filesystem), and one directory rename publishes it at
    `into`. A failure at any step removes the work folder and leaves no target; after a
    kill -9, `into` is absent (the next merge into it, or the next open, removes the
    leftovers) or complete. Raises MergeError (differences), FileNotFoundError (a missing
    source), DatasetExistsError (the target exists) or ValueError (bad arguments).
    `progress` hears of each source copied ("copying") and merged ("merging", datasets), then
    of each file packed ("packing", files)."""
    into = Path(into)
    names = [name for name, _ in sources]
    if len(sources) < 2:
        raise ValueError("give at least two datasets to merge")
    if len(set(names)) != len(names):
        raise ValueError(f"a dataset is listed twice: {names}")
    if into_repo_id in names:
        raise ValueError(f"the target {into_repo_id} is one of the sources; merge into a new id")
    missing = [f"{n} (at {p})" for n, p in sources if not layout.is_dataset(Path(p))]
    if missing:
        raise FileNotFoundError(f"no LeRobot dataset for {', '.join(missing)}")
    if layout.is_dataset(into):
        raise DatasetExistsError(
            f"dataset {into_repo_id} already exists at {into}; merge into a new repo id"
        )
    infos = [(name, read_info(Path(path))) for name, path in sources]
    diffs = merge_differences(infos)
    if diffs:
        raise MergeError(
            f"cannot merge {', '.join(names)}: they must have the same fps, robot type and "
            "features. Differences:\n  - " + "\n  - ".join(diffs)
        )
    # The target's writer lock covers the whole merge: no writer opens the target, and no
    # other merge into it runs, until the result is published (or the work removed).
    lock_fd = locks.acquire_writer_lock(into)
    work = layout.private_dir(into) / f"{MERGE_WORK_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        # Leftovers of a killed merge into the same target: its work folder (removed), or
        # an older version's journal (completes the target).
        repair(into)
        if layout.is_dataset(into):
            raise DatasetExistsError(
                f"dataset {into_repo_id} already exists at {into}; merge into a new repo id"
            )
        if into.exists() and (not into.is_dir() or any(into.iterdir())):
            raise DatasetExistsError(
                f"{into} exists and is not a LeRobot dataset; move it away or merge into "
                "another repo id"
            )
        roots = []
        for i, (_, path) in enumerate(sources):
            progress(Progress("copying", i, len(sources), "datasets"))
            snapshot_committed(path, work / "sources" / str(i))
            roots.append(work / "sources" / str(i))
        staged = work / "dataset" / into.name
        state = _merge_into(roots, names, into_repo_id, staged, infos[0][1], progress)
        shutil.rmtree(work / "sources")
        if compact:
            prepared = compaction.prepare(staged, progress=progress)
            if prepared is not None:
                state = compaction.install(staged, state, prepared, prepared.generation)
        _publish(staged, into)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        locks.release_writer_lock(lock_fd)
    log.info("merged %s into %s: %d episodes", ", ".join(names), into_repo_id, state.total_episodes)
    return MergeResult(
        into_repo_id,
        into,
        tuple(names),
        state.total_episodes,
        state.total_frames,
        len(state.tasks),
    )


def _publish(staged: Path, into: Path) -> None:
    """The commit point of a merge: one atomic rename puts the finished dataset at `into`
    (replacing at most an empty folder), made durable before the merge returns."""
    into.parent.mkdir(parents=True, exist_ok=True)
    os.rename(staged, into)
    fsync_dir(into.parent)
    fsync_dir(staged.parent)


def _merge_into(
    roots: list[Path],
    names: list[str],
    into_repo_id: str,
    into: Path,
    first_info: dict,
    progress: ProgressFn,
) -> DatasetState:
    base = DatasetState.new(
        first_info.get("robot_type"), int(first_info["fps"]), first_info["features"]
    )
    features = base.features
    video_keys = base.video_keys
    keys = list(features)
    txn = Transaction(into, f"merge {', '.join(names)} into {into_repo_id}")
    tasks: list[str] = []
    parts: list[pa.Table] = []
    episode_stats: list[dict[str, Any]] = []
    ep_offset = frame_offset = 0
    data_slot = 0
    video_slot = dict.fromkeys(video_keys, 0)
    for n, root in enumerate(roots):
        progress(Progress("merging", n, len(roots), "datasets"))
        task_map = {}
        for i, task in enumerate(tables.read_tasks(root)):
            if task not in tasks:
                tasks.append(task)
            task_map[i] = tasks.index(task)
        table = tables.read_episodes_table(root)
        if table is None:
            continue
        rows = sorted(table.to_pylist(), key=lambda r: r["episode_index"])
        data_map: dict[tuple[int, int], tuple[int, int]] = {}
        for row in rows:
            src = (row["data/chunk_index"], row["data/file_index"])
            if src not in data_map:
                data_map[src] = layout.slot_to_chunk_file(data_slot)
                data_slot += 1
                _copy_data_file(
                    root / layout.data_path(*src),
                    txn.stage_path(layout.data_path(*data_map[src])),
                    ep_offset,
                    frame_offset,
                    task_map,
                )
        video_maps: dict[str, dict[tuple[int, int], tuple[int, int]]] = {}
        for key in video_keys:
            vmap = video_maps.setdefault(key, {})
            for row in rows:
                src = (row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"])
                if src not in vmap:
                    vmap[src] = layout.slot_to_chunk_file(video_slot[key])
                    video_slot[key] += 1
                    _link_or_copy(
                        root / layout.video_path(key, *src),
                        txn.stage_path(layout.video_path(key, *vmap[src])),
                    )
        out_rows = []
        for row in rows:
            row = dict(row)
            old_task = _constant_task(row)
            row["episode_index"] += ep_offset
            row["dataset_from_index"] += frame_offset
            row["dataset_to_index"] += frame_offset
            row["data/chunk_index"], row["data/file_index"] = data_map[
                (row["data/chunk_index"], row["data/file_index"])
            ]
            for key in video_keys:
                src = (row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"])
                new = video_maps[key][src]
                row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"] = new
            _shift_stats(row, "episode_index", ep_offset)
            _shift_stats(row, "index", frame_offset)
            if old_task is not None and old_task in task_map:
                _set_constant_stats(row, "task_index", task_map[old_task])
            out_rows.append(row)
            episode_stats.append(tables.stats_from_row(row, keys))
        parts.append(pa.Table.from_pylist(out_rows, schema=table.schema))
        ep_offset += len(rows)
        frame_offset = int(out_rows[-1]["dataset_to_index"])
    merged = pa.concat_tables(parts, promote_options="permissive") if parts else None
    state = rebuild(into, txn, base.info, tasks, merged, episode_stats)
    with locks.commit_lock(into):
        txn.commit()
    return state


def _copy_data_file(
    src: Path, dst: Path, ep_offset: int, frame_offset: int, task_map: dict[int, int]
) -> None:
    table = pq.read_table(src)
    metadata = table.schema.metadata

    def replace(t: pa.Table, name: str, values: np.ndarray) -> pa.Table:
        return t.set_column(t.schema.get_field_index(name), name, pa.array(values, pa.int64()))

    table = replace(table, "episode_index", table.column("episode_index").to_numpy() + ep_offset)
    table = replace(table, "index", table.column("index").to_numpy() + frame_offset)
    old_tasks = table.column("task_index").to_numpy()
    table = replace(
        table, "task_index", np.array([task_map[int(t)] for t in old_tasks], dtype=np.int64)
    )
    tables.write_parquet_per_episode(table.replace_schema_metadata(metadata), dst)


def _link_or_copy(src: Path, dst: Path) -> None:
    """Stream copy of a whole file: committed files are never changed in place, so a hard
    link is as good as a copy and costs nothing."""
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copyfile(src, dst)
        with open(dst, "rb") as f:
            os.fsync(f.fileno())


def _constant_task(row: dict[str, Any]) -> int | None:
    lo, hi = row.get("stats/task_index/min"), row.get("stats/task_index/max")
    if lo is None or hi is None or lo != hi:
        return None
    return int(np.asarray(lo).reshape(-1)[0])


def _shift_stats(row: dict[str, Any], feature: str, offset: int) -> None:
    for stat in _SHIFTED_STATS:
        value = row.get(f"stats/{feature}/{stat}")
        if value is not None:
            shifted = np.asarray(value) + offset
            row[f"stats/{feature}/{stat}"] = shifted.tolist()


def _set_constant_stats(row: dict[str, Any], feature: str, value: int) -> None:
    for stat in _SHIFTED_STATS:
        current = row.get(f"stats/{feature}/{stat}")
        if current is not None:
            row[f"stats/{feature}/{stat}"] = np.full_like(np.asarray(current), value).tolist()
