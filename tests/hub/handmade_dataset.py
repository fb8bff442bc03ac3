"""A small hand-made LeRobot v3 dataset for hub tests (no video decoding needed here).

Videos are random bytes, one file per episode and camera, so they are large enough to go LFS
and distinct enough that each episode adds new LFS objects; parquet and JSON files stay small
and go inline. The real writer's datasets are pushed in test_lerobot_reader.py.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CAMERAS = ("observation.images.front", "observation.images.wrist")
FPS = 30
FRAMES = 20


def _info(episodes: int) -> dict:
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
            **{
                cam: {
                    "dtype": "video",
                    "shape": [48, 64, 3],
                    "names": ["height", "width", "channels"],
                }
                for cam in CAMERAS
            },
        },
    }


def write_dataset(
    root: Path, episodes: int, *, video_bytes: int = 96 * 1024, seed: int = 0
) -> Path:
    """(Re)write the dataset at `root` with `episodes` episodes; earlier episodes' videos keep
    their bytes (same seed per episode) so a re-push can skip them."""
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "info.json").write_text(json.dumps(_info(episodes), indent=4))
    (root / "meta" / "stats.json").write_text(
        json.dumps({"action": {"count": [episodes * FRAMES]}})
    )
    pq.write_table(
        pa.table({"task_index": [0], "__index_level_0__": ["Pick the orange"]}),
        root / "meta" / "tasks.parquet",
    )
    episodes_dir = root / "meta" / "episodes" / "chunk-000"
    episodes_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"episode_index": list(range(episodes)), "length": [FRAMES] * episodes}),
        episodes_dir / "file-000.parquet",
    )
    data_dir = root / "data" / "chunk-000"
    data_dir.mkdir(parents=True, exist_ok=True)
    n = episodes * FRAMES
    pq.write_table(
        pa.table({"index": list(range(n)), "episode_index": [i // FRAMES for i in range(n)]}),
        data_dir / "file-000.parquet",
    )
    for episode in range(episodes):
        for c, cam in enumerate(CAMERAS):
            path = root / "videos" / cam / "chunk-000" / f"file-{episode:03d}.mp4"
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            rng = random.Random(f"{seed}-{episode}-{c}")
            path.write_bytes(rng.randbytes(video_bytes))
    return root


def dataset_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
