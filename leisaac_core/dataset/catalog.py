"""Read-side views for the dashboard: list datasets, list episodes, read one episode's signals.

Bounded for large datasets: a summary reads info, tasks and one column of the episode rows;
a page of episodes or one episode's signals reads only the meta/episodes files that hold
them (found from the parquet footers).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leisaac_core.dataset import layout, locks, tables
from leisaac_core.dataset.spec import ACTION_KEY, STATE_KEY
from leisaac_core.dataset.state import DatasetState

FAILURES_SUFFIX = "_failures"


@dataclass(frozen=True)
class DatasetSummary:
    repo_id: str
    path: Path
    episodes: int
    frames: int
    fps: int
    robot_type: str | None
    cameras: tuple[str, ...]
    tasks: tuple[str, ...]
    outcomes: dict[str, int]
    size_bytes: int
    is_failures: bool


@dataclass(frozen=True)
class VideoSpan:
    """Where an episode's frames of one camera are: play `path` from `from_s` to `to_s`."""

    path: Path
    from_s: float
    to_s: float


@dataclass(frozen=True)
class EpisodeRecord:
    index: int
    length: int
    duration_s: float
    task: str
    outcome: str | None
    fps_achieved: float | None
    period_p99_ms: float | None
    paced: bool | None  # the loop was paced at the fps; None: not recorded (older datasets)
    frames_dropped: dict[str, int] | None  # per camera; None: not recorded (another tool)
    device: str | None
    backend: str | None
    seed: int | None
    note: str | None
    recorded_at: str | None
    videos: dict[str, VideoSpan]
    qc_flags: tuple[str, ...] = field(default_factory=tuple)
    # Remote input's timing (input_age_p50_ms, ...); None for local devices.
    input_timing: dict[str, float | None] | None = None


def _size_bytes(root: Path) -> int:
    total = 0
    for top in ("data", "videos", "meta"):
        for dirpath, _, filenames in os.walk(root / top):
            for name in filenames:
                with contextlib.suppress(OSError):
                    total += os.stat(os.path.join(dirpath, name)).st_size
    return total


def _outcomes(root: Path) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for path in layout.episodes_files(root):
        with open(path, "rb") as f:  # one open: a commit may replace the file meanwhile
            pf = pq.ParquetFile(f)
            if "outcome" in pf.schema_arrow.names:
                values = pf.read(columns=["outcome"]).column("outcome").to_pylist()
            else:
                values = [None] * pf.metadata.num_rows
        for value in values:
            key = value or "unknown"
            outcomes[key] = outcomes.get(key, 0) + 1
    return outcomes


def list_datasets(dataset_root: Path | str) -> list[DatasetSummary]:
    """Every LeRobot v3 dataset under <dataset_root>/<namespace>/<name>, sorted by repo id."""
    base = Path(dataset_root)
    out: list[DatasetSummary] = []
    if not base.is_dir():
        return out
    for info_path in sorted(base.glob(f"*/*/{layout.INFO_PATH}")):
        root = info_path.parent.parent
        if root.name.startswith(".") or root.parent.name.startswith("."):
            continue  # push snapshots and other hidden work folders, not datasets
        try:
            with locks.commit_lock(root, shared=True):
                state = DatasetState.load(root)
                outcomes = _outcomes(root)
        except (ValueError, OSError, json.JSONDecodeError, KeyError, pa.ArrowException):
            continue  # not ours to judge here; `doctor` reports unreadable datasets
        out.append(
            DatasetSummary(
                repo_id=f"{root.parent.name}/{root.name}",
                path=root,
                episodes=state.total_episodes,
                frames=state.total_frames,
                fps=state.fps,
                robot_type=state.info.get("robot_type"),
                cameras=tuple(k.removeprefix("observation.images.") for k in state.video_keys),
                tasks=tuple(state.tasks),
                outcomes=outcomes,
                size_bytes=_size_bytes(root),
                is_failures=root.name.endswith(FAILURES_SUFFIX),
            )
        )
    return out


def _episode_rows(root: Path, start: int, stop: int | None) -> list[dict[str, Any]]:
    """Rows of episodes start..stop-1 (stop None: to the end), reading only the row groups
    that hold them. The caller holds the shared commit lock."""
    rows: list[dict[str, Any]] = []
    first = 0
    for path in layout.episodes_files(root):
        pf = pq.ParquetFile(path)
        for group in range(pf.metadata.num_row_groups):
            count = pf.metadata.row_group(group).num_rows
            last = first + count
            if last > start and (stop is None or first < stop):
                table = pf.read_row_group(group).replace_schema_metadata(None)
                lo = max(start - first, 0)
                hi = count if stop is None else min(stop - first, count)
                rows.extend(table.slice(lo, hi - lo).to_pylist())
            first = last
            if stop is not None and first >= stop:
                return rows
    return rows


def _frames_dropped(row: dict[str, Any], video_keys: Any) -> dict[str, int] | None:
    """Frames dropped per camera; None where the episode's row does not record them (a
    dataset written by lerobot or another tool): not recorded is unknown, not 0."""
    counts = {key: row.get(f"{tables.DROPPED_PREFIX}{key}") for key in video_keys}
    if any(count is None for count in counts.values()):
        return None
    return {key.removeprefix("observation.images."): int(n) for key, n in counts.items()}


def _qc_flags(row: dict[str, Any], fps: int, dropped: dict[str, int] | None) -> tuple[str, ...]:
    flags = []
    if dropped and any(dropped.values()):
        flags.append(f"frames dropped: {sum(dropped.values())}")
    if row.get("paced") is False:
        # An unpaced loop steps the sim as fast as it can and stamps frame i at i / fps:
        # the recorded timing is exact whatever the loop's own rate was.
        return tuple(flags)
    achieved = row.get("fps_achieved")
    if achieved is not None and achieved < 0.95 * fps:
        flags.append(f"rate {achieved:.1f} fps below target {fps}")
    p99 = row.get("period_p99_ms")
    if p99 is not None and p99 > 1.5 * 1000 / fps:
        flags.append(f"period p99 {p99:.1f} ms over 1.5x the target period")
    return tuple(flags)


def load_episodes(
    dataset_dir: Path | str, offset: int = 0, limit: int | None = None
) -> list[EpisodeRecord]:
    """Episodes offset..offset+limit-1 (all from `offset` when limit is None)."""
    if offset < 0 or (limit is not None and limit < 0):
        raise ValueError(f"offset {offset} and limit {limit} must not be negative")
    root = Path(dataset_dir)
    with locks.commit_lock(root, shared=True):
        state = DatasetState.load(root)
        stop = None if limit is None else offset + limit
        rows = _episode_rows(root, offset, stop)
    records = []
    for row in rows:
        dropped = _frames_dropped(row, state.video_keys)
        videos = {
            key.removeprefix("observation.images."): VideoSpan(
                root
                / layout.video_path(
                    key, row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
                ),
                float(row[f"videos/{key}/from_timestamp"]),
                float(row[f"videos/{key}/to_timestamp"]),
            )
            for key in state.video_keys
        }
        tasks = row.get("tasks") or []
        records.append(
            EpisodeRecord(
                index=int(row["episode_index"]),
                length=int(row["length"]),
                duration_s=int(row["length"]) / state.fps,
                task=tasks[0] if tasks else "",
                outcome=row.get("outcome"),
                fps_achieved=row.get("fps_achieved"),
                period_p99_ms=row.get("period_p99_ms"),
                paced=row.get("paced"),
                frames_dropped=dropped,
                device=row.get("device"),
                backend=row.get("backend"),
                seed=row.get("seed"),
                note=row.get("note"),
                recorded_at=row.get("recorded_at"),
                videos=videos,
                qc_flags=_qc_flags(row, state.fps, dropped),
                input_timing=_input_timing(row),
            )
        )
    return records


_INPUT_COLUMNS = (
    "input_age_p50_ms",
    "input_age_p99_ms",
    "input_latency_p50_ms",
    "input_latency_p99_ms",
    "input_clock_offset_ms",
    "input_pauses",
)


def _input_timing(row: dict[str, Any]) -> dict[str, float | None] | None:
    figures = {name: row.get(name) for name in _INPUT_COLUMNS}
    return figures if any(v is not None for v in figures.values()) else None


def load_episode_signals(dataset_dir: Path | str, episode_index: int) -> dict[str, Any]:
    """Timestamps, state and action of one episode (arrays), with the feature names."""
    root = Path(dataset_dir)
    with locks.commit_lock(root, shared=True):
        state = DatasetState.load(root)
        if not 0 <= episode_index < state.total_episodes:
            raise ValueError(
                f"episode {episode_index} does not exist; the dataset has "
                f"{state.total_episodes} episodes"
            )
        (row,) = _episode_rows(root, episode_index, episode_index + 1)
        data_file = layout.data_path(row["data/chunk_index"], row["data/file_index"])
    table = tables.read_parquet_plain(
        root / data_file,
        ["timestamp", "frame_index", "episode_index", STATE_KEY, ACTION_KEY],
    )
    table = table.filter(pc.equal(table.column("episode_index"), episode_index))

    def matrix(col: str) -> np.ndarray:
        return np.asarray(table.column(col).to_pylist(), dtype=np.float32)

    return {
        "timestamps": table.column("timestamp").to_numpy(),
        "frame_index": table.column("frame_index").to_numpy(),
        "state": matrix(STATE_KEY),
        "action": matrix(ACTION_KEY),
        "state_names": list(state.features[STATE_KEY].get("names") or []),
        "action_names": list(state.features[ACTION_KEY].get("names") or []),
        "fps": state.fps,
    }
