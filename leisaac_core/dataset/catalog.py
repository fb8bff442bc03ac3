"""Read-side views for the dashboard: list datasets, list episodes, read one episode's signals."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
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
    frames_dropped: dict[str, int]
    device: str | None
    backend: str | None
    seed: int | None
    note: str | None
    recorded_at: str | None
    videos: dict[str, VideoSpan]
    qc_flags: tuple[str, ...] = field(default_factory=tuple)


def _read_state(root: Path) -> DatasetState:
    with locks.commit_lock(root, shared=True):
        return DatasetState.load(root)


def list_datasets(dataset_root: Path | str) -> list[DatasetSummary]:
    """Every LeRobot v3 dataset under <dataset_root>/<namespace>/<name>, sorted by repo id."""
    base = Path(dataset_root)
    out: list[DatasetSummary] = []
    if not base.is_dir():
        return out
    for info_path in sorted(base.glob(f"*/*/{layout.INFO_PATH}")):
        root = info_path.parent.parent
        try:
            state = _read_state(root)
        except (ValueError, OSError, json.JSONDecodeError, KeyError):
            continue  # not ours to judge here; `doctor` reports unreadable datasets
        outcomes: dict[str, int] = {}
        for row in state.rows:
            key = row.get("outcome") or "unknown"
            outcomes[key] = outcomes.get(key, 0) + 1
        size = sum(
            (root / rel).stat().st_size for rel in state.referenced_files() if (root / rel).exists()
        )
        out.append(
            DatasetSummary(
                repo_id=f"{root.parent.name}/{root.name}",
                path=root,
                episodes=len(state.rows),
                frames=state.total_frames,
                fps=state.fps,
                robot_type=state.info.get("robot_type"),
                cameras=tuple(k.removeprefix("observation.images.") for k in state.video_keys),
                tasks=tuple(state.tasks),
                outcomes=outcomes,
                size_bytes=size,
                is_failures=root.name.endswith(FAILURES_SUFFIX),
            )
        )
    return out


def _qc_flags(row: dict[str, Any], fps: int, dropped: dict[str, int]) -> tuple[str, ...]:
    flags = []
    if any(dropped.values()):
        flags.append(f"frames dropped: {sum(dropped.values())}")
    achieved = row.get("fps_achieved")
    if achieved is not None and achieved < 0.95 * fps:
        flags.append(f"rate {achieved:.1f} fps below target {fps}")
    p99 = row.get("period_p99_ms")
    if p99 is not None and p99 > 1.5 * 1000 / fps:
        flags.append(f"period p99 {p99:.1f} ms over 1.5x the target period")
    return tuple(flags)


def load_episodes(dataset_dir: Path | str) -> list[EpisodeRecord]:
    root = Path(dataset_dir)
    state = _read_state(root)
    records = []
    for row in state.rows:
        dropped = {
            key.removeprefix("observation.images."): int(
                row.get(f"{tables.DROPPED_PREFIX}{key}") or 0
            )
            for key in state.video_keys
        }
        videos = {
            key.removeprefix("observation.images."): VideoSpan(
                root / state.video_file(row, key),
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
                frames_dropped=dropped,
                device=row.get("device"),
                backend=row.get("backend"),
                seed=row.get("seed"),
                note=row.get("note"),
                recorded_at=row.get("recorded_at"),
                videos=videos,
                qc_flags=_qc_flags(row, state.fps, dropped),
            )
        )
    return records


def load_episode_signals(dataset_dir: Path | str, episode_index: int) -> dict[str, Any]:
    """Timestamps, state and action of one episode (arrays), with the feature names."""
    root = Path(dataset_dir)
    state = _read_state(root)
    if not 0 <= episode_index < len(state.rows):
        raise ValueError(
            f"episode {episode_index} does not exist; the dataset has {len(state.rows)} episodes"
        )
    row = state.rows[episode_index]
    table = pq.read_table(
        root / state.data_file(row),
        columns=["timestamp", "frame_index", "episode_index", STATE_KEY, ACTION_KEY],
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
