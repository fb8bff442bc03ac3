"""A refused resume says, as facts, which settings differ and what the dataset has, so each
surface (CLI, REST, page) can name its own flag or control."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from dataset_helpers import FAST_VIDEO, H, W, make_spec, record_episode

from leisaac_core.dataset import DatasetWriter, FeatureMismatchError, VideoSettings
from leisaac_core.sim.base import CameraSpec


def test_resume_mismatch_carries_each_setting_with_both_values(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
    other = replace(
        make_spec(fps=15, cameras=(CameraSpec("front", H // 2, W // 2), CameraSpec("side", H, W))),
        robot_type="so_follower",
    )
    with pytest.raises(FeatureMismatchError) as err:
        DatasetWriter.open(root, other, resume=True, video=VideoSettings(codec="av1"))
    exc = err.value
    assert exc.repo_id == "tester/pick" and exc.root == root
    assert exc.settings() == ["identity", "fps", "cameras", "camera_size", "codec"]
    facts = {(d.setting, d.key): (d.dataset, d.requested) for d in exc.differences}
    # A robot_type of ours is a robot identity (leisaac_core.dataset.identity), by its name.
    assert facts[("identity", "robot_type")] == ("leisaac", "lerobot")
    assert facts[("fps", "fps")] == (30, 15)
    assert facts[("cameras", "observation.images.wrist")] == ("wrist", None)
    assert facts[("cameras", "observation.images.side")] == (None, "side")
    # (width, height), in the setting's terms; the codec as VideoSettings names it.
    assert facts[("camera_size", "observation.images.front.shape")] == ((W, H), (W // 2, H // 2))
    assert facts[("codec", "observation.images.front.video.codec")] == ("h264", "av1")
    # The message stays surface-neutral and lists every difference once.
    msg = str(exc)
    assert "fps: dataset has 30, requested 15" in msg and "--" not in msg
    assert msg.count("\n  - ") == len(exc.differences)
