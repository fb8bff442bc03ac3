"""A small hand-made LeRobot v3 dataset for hub tests (no video decoding needed here).

Videos are random bytes, one file per episode and camera (a valid v3 split), so they are large
enough to go LFS and each episode adds new LFS objects; parquet and JSON files stay small and
go inline. Datasets from the real writer are pushed in test_hub_lerobot_reader.py.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CAMERAS = ("observation.images.front", "observation.images.wrist")
FPS = 30
FRAMES = 20
TASK = "Pick the orange"


def _info(episodes: int) -> dict[str, Any]:
    video = {"dtype": "video", "shape": [48, 64, 3], "names": ["height", "width", "channels"]}
    return {
        "codebase_version": "v3.0",
        "robot_type": "so101_follower",
        "total_episodes": episodes,
        "total_frames": episodes * FRAMES,
        "total_tasks": 1,
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "fps": FPS,
        "splits": {"train": f"0:{episodes}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": {
            "action": {"dtype": "float32", "shape": [6], "names": None},
            **{cam: video for cam in CAMERAS},
        },
    }


def _episode_row(e: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "episode_index": e,
        "tasks": [TASK],
        "length": FRAMES,
        "data/chunk_index": 0,
        "data/file_index": 0,
        "dataset_from_index": e * FRAMES,
        "dataset_to_index": (e + 1) * FRAMES,
        "meta/episodes/chunk_index": 0,
        "meta/episodes/file_index": 0,
    }
    for cam in CAMERAS:
        row[f"videos/{cam}/chunk_index"] = 0
        row[f"videos/{cam}/file_index"] = e
        row[f"videos/{cam}/from_timestamp"] = 0.0
        row[f"videos/{cam}/to_timestamp"] = FRAMES / FPS
    return row


def write_dataset(root: Path, episodes: int, *, video_bytes: int = 96 * 1024) -> Path:
    """(Re)write the dataset at `root` with `episodes` episodes. Videos of earlier episodes
    keep their bytes, so a re-push can skip them; videos of later episodes are removed."""
    meta = root / "meta"
    (meta / "episodes" / "chunk-000").mkdir(parents=True, exist_ok=True)
    (root / "data" / "chunk-000").mkdir(parents=True, exist_ok=True)
    (meta / "info.json").write_text(json.dumps(_info(episodes), indent=4))
    (meta / "stats.json").write_text(json.dumps({"action": {"count": [episodes * FRAMES]}}))
    pq.write_table(pa.table({"task_index": [0], "task": [TASK]}), meta / "tasks.parquet")
    pq.write_table(
        pa.Table.from_pylist([_episode_row(e) for e in range(episodes)]),
        meta / "episodes" / "chunk-000" / "file-000.parquet",
    )
    n = episodes * FRAMES
    pq.write_table(
        pa.table({"index": list(range(n)), "episode_index": [i // FRAMES for i in range(n)]}),
        root / "data" / "chunk-000" / "file-000.parquet",
    )
    for stale in (root / "videos").glob("*/chunk-000/file-*.mp4"):
        if int(stale.stem.removeprefix("file-")) >= episodes:
            stale.unlink()
    for e in range(episodes):
        for c, cam in enumerate(CAMERAS):
            path = root / "videos" / cam / "chunk-000" / f"file-{e:03d}.mp4"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(random.Random(f"{e}-{c}").randbytes(video_bytes))
    return root


def dataset_files(root: Path) -> dict[str, bytes]:
    """The dataset's own files (not the writer's hidden lock/journal folder)."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = path.read_bytes()
    return files
