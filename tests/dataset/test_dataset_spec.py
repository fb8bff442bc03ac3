"""Repo id validation and spec checks: bad input gets a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from leisaac_core.dataset import (
    DatasetSpec,
    VideoSettings,
    dataset_dir,
    failures_repo_id,
    validate_repo_id,
)
from leisaac_core.sim.base import CameraSpec


@pytest.mark.parametrize("good", ["me/pick", "Org-1/pick_orange.v2", "a/b", "x9/y_z-1"])
def test_valid_repo_ids(good: str) -> None:
    assert validate_repo_id(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../x",
        "/abs",
        "a/b/c",
        "a b/c",
        "a/b c",
        "noslash",
        "a/..",
        "../..",
        "a/.hidden",
        "a/",
        "/b",
        "a//b",
        "ns/na$me",
        "ns/x" + "y" * 100,
        "ns/ends.",
    ],
)
def test_invalid_repo_ids_raise_with_guidance(bad: str) -> None:
    with pytest.raises(ValueError, match="namespace/name|not allowed|empty|has spaces; use"):
        validate_repo_id(bad)


def test_dataset_dir_is_inside_root(tmp_path: Path) -> None:
    assert dataset_dir(tmp_path, "ns/name") == tmp_path / "ns" / "name"
    with pytest.raises(ValueError):
        dataset_dir(tmp_path, "../escape")


def test_failures_repo_id_sits_next_to_main() -> None:
    assert failures_repo_id("ns/name") == "ns/name_failures"


def test_spec_rejects_odd_camera_size_and_duplicate_names() -> None:
    names = ("a.pos",)
    with pytest.raises(ValueError, match="even width and height"):
        DatasetSpec("ns/n", 30, "r", names, names, (CameraSpec("front", 481, 640),))
    with pytest.raises(ValueError, match="unique"):
        DatasetSpec("ns/n", 30, "r", names, names, (CameraSpec("a", 4, 4), CameraSpec("a", 4, 4)))
    with pytest.raises(ValueError, match="fps"):
        DatasetSpec("ns/n", 0, "r", names, names)


def test_video_settings_validate() -> None:
    assert VideoSettings().encoder_name == "libx264"
    assert VideoSettings(codec="av1").encoder_name == "libsvtav1"
    with pytest.raises(ValueError, match="codec"):
        VideoSettings(codec="mjpeg")
    with pytest.raises(ValueError, match="crf"):
        VideoSettings(crf=99)
