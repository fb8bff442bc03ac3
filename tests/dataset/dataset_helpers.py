"""Shared helpers for dataset tests: a small spec and deterministic episodes."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np

from leisaac_core.dataset import DatasetSpec, DatasetWriter, EpisodeMeta, VideoSettings
from leisaac_core.dataset.catalog import VideoSpan
from leisaac_core.dataset.synthetic import synthetic_action, synthetic_frame, synthetic_state
from leisaac_core.sim.base import CameraSpec
from leisaac_core.so101 import JOINT_FEATURE_NAMES

H, W = 96, 128
CAMERAS = (CameraSpec("front", H, W), CameraSpec("wrist", H, W))
# Generous queue: these tests push frames faster than real time and must not drop.
FAST_VIDEO = VideoSettings(queue_frames=1000)


def make_spec(repo_id: str = "tester/pick", cameras=CAMERAS, fps: int = 30) -> DatasetSpec:
    return DatasetSpec(
        repo_id=repo_id,
        fps=fps,
        robot_type="so101_follower",
        state_names=JOINT_FEATURE_NAMES,
        action_names=JOINT_FEATURE_NAMES,
        cameras=cameras,
    )


def frame_images(i: int, cameras=CAMERAS) -> dict[str, np.ndarray]:
    return {c.name: synthetic_frame(i, c.height, c.width, k) for k, c in enumerate(cameras)}


def record_episode(
    writer: DatasetWriter,
    length: int,
    tag: float = 0.0,
    task: str = "pick",
    offset: int = 0,
    **meta,
):
    """Record `length` frames; state/action carry `tag` and the images show frame numbers
    `offset + i`, so episodes are distinguishable in data and in video."""
    writer.start_episode(task)
    for i in range(length):
        writer.add_frame(
            synthetic_state(i) + tag,
            synthetic_action(i) + tag,
            frame_images(offset + i, writer.spec.cameras),
        )
    return writer.save_episode(EpisodeMeta(**meta))


def decode_frames(source: Path | VideoSpan) -> list[np.ndarray]:
    """Every frame of an mp4 file, or of one episode's span in it (a packed file holds many
    episodes: frames whose time is in [from_s, to_s))."""
    if isinstance(source, VideoSpan):
        path, lo, hi = source.path, source.from_s, source.to_s
    else:
        path, lo, hi = Path(source), 0.0, float("inf")
    with av.open(str(path)) as container:
        return [
            f.to_ndarray(format="rgb24")
            for f in container.decode(video=0)
            if lo - 1e-4 <= f.time < hi - 1e-4
        ]


def wait_until(predicate, timeout: float = 10.0) -> bool:
    """Poll (not a timing assertion): used to wait for background threads to settle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
