"""Push datasets written by the product's own DatasetWriter (real parquet + H.264 video)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import snapshot_download

from leisaac_core.dataset import DatasetSpec, DatasetWriter, EpisodeMeta, VideoSettings
from leisaac_core.dataset.synthetic import synthetic_action, synthetic_frame, synthetic_state
from leisaac_core.hub import push_dataset
from leisaac_core.sim.base import CameraSpec
from leisaac_core.so101 import JOINT_FEATURE_NAMES
from tests.hub.conftest import USER, WRITE_TOKEN
from tests.hub.handmade_dataset import dataset_files
from tests.support.fake_hub import FakeHub

REPO = f"{USER}/pick_orange"
CAMERAS = (CameraSpec("front", 96, 128), CameraSpec("wrist", 96, 128))
FRAMES = 45


def open_writer(root: Path, resume: bool = False) -> DatasetWriter:
    spec = DatasetSpec(
        repo_id=REPO,
        fps=30,
        robot_type="so101_follower",
        state_names=JOINT_FEATURE_NAMES,
        action_names=JOINT_FEATURE_NAMES,
        cameras=CAMERAS,
    )
    # A deep queue: these tests hand frames over faster than real time.
    return DatasetWriter.open(root, spec, resume=resume, video=VideoSettings(queue_frames=1000))


def add_frames(writer: DatasetWriter, n: int) -> None:
    for i in range(n):
        images = {c.name: synthetic_frame(i, c.height, c.width, k) for k, c in enumerate(CAMERAS)}
        writer.add_frame(synthetic_state(i), synthetic_action(i), images)


def record(writer: DatasetWriter, episodes: int) -> None:
    for _ in range(episodes):
        writer.start_episode("Pick the orange and put it on the plate")
        add_frames(writer, FRAMES)
        writer.save_episode(EpisodeMeta(outcome="success")).result(timeout=120)


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    root = tmp_path / "datasets" / REPO
    with open_writer(root) as writer:
        record(writer, 2)
    return root


def test_writer_dataset_round_trips_byte_identical(
    hub: FakeHub, recorded: Path, tmp_path: Path
) -> None:
    result = push_dataset(recorded, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    out = tmp_path / "download"
    snapshot_download(
        REPO,
        repo_type="dataset",
        revision="v3.0",
        endpoint=hub.endpoint,
        token=WRITE_TOKEN,
        local_dir=out,
    )
    local = dataset_files(recorded)
    remote = {p: b for p, b in dataset_files(out).items() if p != "README.md"}
    assert remote == local
    assert any(p.endswith(".mp4") for p in local) and any(p.endswith(".parquet") for p in local)
    assert result.files_uploaded == len(local) + 1


def test_push_during_recording_sends_committed_episodes_only(
    hub: FakeHub, recorded: Path, tmp_path: Path
) -> None:
    with open_writer(recorded, resume=True) as writer:
        committed = dataset_files(recorded)
        writer.start_episode("Pick the orange and put it on the plate")
        add_frames(writer, 10)  # an episode in progress: its files are not committed

        push_dataset(recorded, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

        add_frames(writer, FRAMES - 10)
        writer.save_episode(EpisodeMeta()).result(timeout=120)

    pushed = hub.files_at(REPO, "v3.0")
    assert json.loads(pushed["meta/info.json"])["total_episodes"] == 2
    assert {
        p: b for p, b in pushed.items() if p not in ("README.md", ".gitattributes")
    } == committed

    second = push_dataset(recorded, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert json.loads(hub.files_at(REPO, "v3.0")["meta/info.json"])["total_episodes"] == 3
    assert second.files_skipped > 0, "files of the first two episodes are not sent again"
