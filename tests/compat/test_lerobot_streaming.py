"""A dataset just as `leisaac-dashboard record` leaves it streams completely through
lerobot's own StreamingLeRobotDataset, with the same frames as the map-style reader.

StreamingLeRobotDataset seeks `index / fps` inside ONE video file per camera: it reads only a
packed dataset, which is what a session leaves behind (it packs when it ends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from leisaac_core.dataset import load_episodes

HERE = Path(__file__).parent
REPO = HERE.parents[1]


def test_recorded_dataset_streams_through_lerobot_like_the_map_style_reader(
    lerobot_python: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "HF_LEROBOT_HOME": str(tmp_path)}
    record = [sys.executable, "-m", "server.cli", "record", "--task", "so101_lift_cube"]
    record += ["--camera-size", "96x64", "--seed", "5", "--episodes", "4", "--repo-id", "s/lift"]
    done = subprocess.run(record, capture_output=True, text=True, timeout=900, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "packed" in done.stderr, "record says that it packed the dataset"
    root = tmp_path / "s" / "lift"
    assert len(load_episodes(root)) == 4
    for camera in ("front", "wrist"):
        assert len(list(root.glob(f"videos/observation.images.{camera}/*/*.mp4"))) == 1

    out = tmp_path / "stream.json"
    probe_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    subprocess.run(
        [str(lerobot_python), str(HERE / "lerobot_streaming_probe.py"), str(root), "s/lift"]
        + [str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=probe_env,
    )
    result = json.loads(out.read_text())
    assert "error" not in result, result.get("error")
    assert result["streamed"] == list(range(result["num_frames"])), "every frame, once"
    assert result["state_equal"]
    # Both readers decode the same file at the same timestamps: the same pixels.
    assert all(d <= 1.0 for d in result["max_image_diff"].values()), result["max_image_diff"]
