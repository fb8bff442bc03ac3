"""Robot identity: units, the robot_type a session writes, a resume of the other identity
refused naming the option, and `convert_dataset` (in place and into a new dataset)."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest
from dataset_helpers import FAST_VIDEO, make_spec, record_episode

from leisaac_core import so101
from leisaac_core.dataset import DatasetWriter, FeatureMismatchError, layout, tables
from leisaac_core.dataset.identity import (
    IDENTITIES,
    convert_dataset,
    default_identity,
    get_identity,
    identity_of_robot_type,
)
from leisaac_core.session.config import SessionConfig


def test_degrees_are_the_joint_angles_and_the_gripper_stays_0_100():
    normalized = so101.radians_to_normalized(so101.rest_pose_radians())
    degrees = so101.to_units(normalized, "degrees")
    for j, name in enumerate(so101.JOINTS[:-1]):
        assert degrees[j] == pytest.approx(so101.REST_POSE_DEG[name], abs=1e-3)
    assert degrees[-1] == pytest.approx(normalized[-1])
    two_arms = np.concatenate([normalized, normalized])[None, :].repeat(3, axis=0)
    back = so101.from_units(so101.to_units(two_arms, "degrees"), "degrees")
    np.testing.assert_allclose(back, two_arms, atol=1e-4)
    with pytest.raises(ValueError, match="whole SO-101 arms"):
        so101.to_units(np.zeros(5), "degrees")


def test_identities_robot_types_and_defaults():
    assert get_identity("lerobot").robot_type_for("so101_follower") == "so_follower"
    assert get_identity("lerobot").robot_type_for("bi_so101_follower") == "bi_so_follower"
    assert get_identity("leisaac").robot_type_for("so101_follower") == "so101_follower"
    assert get_identity("leisaac").robot_type_for("so_follower") == "so101_follower"
    assert identity_of_robot_type("so_follower") == "lerobot"
    assert identity_of_robot_type("so101_follower") == "leisaac"
    assert identity_of_robot_type("koch") is None
    assert default_identity("mujoco") == "lerobot"
    assert default_identity("isaaclab") == "leisaac"
    config = SessionConfig(dataset={"repo_id": "a/b"})
    assert config.dataset.identity is None and config.robot_identity == "lerobot"
    isaac = SessionConfig(dataset={"repo_id": "a/b"}, env={"type": "isaaclab"})
    assert isaac.robot_identity == "leisaac"
    chosen = SessionConfig(dataset={"repo_id": "a/b", "identity": "leisaac"})
    assert chosen.robot_identity == "leisaac"
    with pytest.raises(ValueError, match="unknown robot identity 'so100'.*lerobot.*leisaac"):
        SessionConfig(dataset={"repo_id": "a/b", "identity": "so100"})


def _spec(identity: str, repo_id: str = "tester/ident"):
    return dataclasses.replace(
        make_spec(repo_id), robot_type=IDENTITIES[identity].robot_type_for("so101_follower")
    )


def _record(root, identity: str, episodes: int = 2):
    with DatasetWriter.open(root, _spec(identity), video=FAST_VIDEO) as w:
        for e in range(episodes):
            record_episode(w, 8 + 3 * e, tag=10.0 * e).result(timeout=60)


def test_resume_with_the_other_identity_is_refused_naming_the_option(tmp_path):
    from server.cli.mismatch import describe_for_cli
    from server.resume_conflict import conflict_for

    root = tmp_path / "ident"
    _record(root, "leisaac", episodes=1)
    with pytest.raises(FeatureMismatchError) as err:
        DatasetWriter.open(root, _spec("lerobot"), resume=True, video=FAST_VIDEO)
    [diff] = err.value.differences
    assert (diff.setting, diff.dataset, diff.requested) == ("identity", "leisaac", "lerobot")
    assert "so101_follower" in str(err.value)
    text = describe_for_cli(err.value)
    assert "--identity leisaac" in text and text.count("robot identity") == 1
    conflict = conflict_for(err.value)
    [item] = conflict.differences
    assert item["fields"] == ["dataset.identity"]
    assert item["use"] == {"dataset.identity": "leisaac"}
    assert '"dataset.identity": "leisaac"' in conflict.detail
    # The matching identity resumes.
    DatasetWriter.open(root, _spec("leisaac"), resume=True, video=FAST_VIDEO).close()


def _columns(root, key):
    parts = [pq.read_table(p) for p in sorted((root / "data").rglob("*.parquet"))]
    return np.concatenate([np.stack(t.column(key).to_pylist()) for t in parts])


def _video_files(root):
    return sorted(p.relative_to(root) for p in (root / "videos").rglob("*.mp4"))


def _check_stats(root):
    """stats.json and every episode's stats agree with the converted frames."""
    info = json.loads((root / layout.INFO_PATH).read_text())
    stats = json.loads((root / layout.STATS_PATH).read_text())
    episodes = tables.read_episodes_table(root).to_pylist()
    for key in ("observation.state", "action"):
        values = _columns(root, key).astype(np.float64)
        np.testing.assert_allclose(stats[key]["min"], values.min(0), atol=1e-3)
        np.testing.assert_allclose(stats[key]["max"], values.max(0), atol=1e-3)
        np.testing.assert_allclose(stats[key]["mean"], values.mean(0), atol=1e-3)
        np.testing.assert_allclose(stats[key]["std"], values.std(0), atol=1e-3)
        for row in episodes:
            lo, hi = row["dataset_from_index"], row["dataset_to_index"]
            np.testing.assert_allclose(row[f"stats/{key}/mean"], values[lo:hi].mean(0), atol=1e-3)
            np.testing.assert_allclose(row[f"stats/{key}/min"], values[lo:hi].min(0), atol=1e-3)
    return info


def test_convert_in_place_rewrites_units_stats_and_robot_type_not_video(tmp_path):
    root = tmp_path / "ident"
    _record(root, "leisaac")
    before = {k: _columns(root, k) for k in ("observation.state", "action")}
    videos = {p: (root / p).stat().st_ino for p in _video_files(root)}
    result = convert_dataset(root, "lerobot")
    assert (result.source, result.target, result.robot_type) == (
        "leisaac",
        "lerobot",
        "so_follower",
    )
    assert result.changed and result.episodes == 2
    info = _check_stats(root)
    assert info["robot_type"] == "so_follower"
    for key, values in before.items():
        np.testing.assert_allclose(
            _columns(root, key), so101.to_units(values, "degrees"), atol=1e-4
        )
    assert {p: (root / p).stat().st_ino for p in _video_files(root)} == videos
    assert not layout.journal_path(root).exists()
    # The converted dataset resumes with its new identity, and converts back.
    with DatasetWriter.open(root, _spec("lerobot"), resume=True, video=FAST_VIDEO) as w:
        record_episode(w, 5).result(timeout=60)
    assert not convert_dataset(root, "lerobot").changed
    convert_dataset(root, "leisaac")
    np.testing.assert_allclose(
        _columns(root, "action")[: len(before["action"])], before["action"], atol=1e-3
    )
    _check_stats(root)


def test_convert_into_a_new_dataset_links_videos_and_leaves_the_source(tmp_path):
    src, dst = tmp_path / "ns" / "ident", tmp_path / "ns" / "ident_lerobot"
    _record(src, "leisaac")
    before = (src / layout.INFO_PATH).read_bytes(), _columns(src, "observation.state")
    result = convert_dataset(src, "lerobot", into=dst)
    assert result.root == dst
    assert (src / layout.INFO_PATH).read_bytes() == before[0]
    np.testing.assert_array_equal(_columns(src, "observation.state"), before[1])
    assert _video_files(dst) == _video_files(src)
    for rel in _video_files(src):
        assert os.path.samefile(src / rel, dst / rel)
    assert _check_stats(dst)["robot_type"] == "so_follower"
    with pytest.raises(FileExistsError):
        convert_dataset(src, "lerobot", into=dst)
    assert not any(p.name.startswith("merge-") for p in layout.private_dir(dst).glob("*"))


def test_convert_refuses_a_robot_it_does_not_know(tmp_path):
    root = tmp_path / "koch"
    spec = dataclasses.replace(make_spec("tester/koch"), robot_type="koch_follower")
    with DatasetWriter.open(root, spec, video=FAST_VIDEO) as w:
        record_episode(w, 4).result(timeout=60)
    with pytest.raises(ValueError, match="not an SO-101 identity"):
        convert_dataset(root, "lerobot")


def test_our_merge_refuses_datasets_of_different_identities_until_converted(tmp_path):
    from leisaac_core.dataset import MergeError, merge_datasets

    a, b = tmp_path / "ns" / "a", tmp_path / "ns" / "b"
    for root, identity in ((a, "leisaac"), (b, "lerobot")):
        with DatasetWriter.open(root, _spec(identity, f"ns/{root.name}"), video=FAST_VIDEO) as w:
            record_episode(w, 6).result(timeout=60)
    with pytest.raises(MergeError, match="robot_type"):
        merge_datasets([("ns/a", a), ("ns/b", b)], "ns/c", tmp_path / "ns" / "c")
    assert not (tmp_path / "ns" / "c").exists()
    convert_dataset(a, "lerobot")
    result = merge_datasets([("ns/a", a), ("ns/b", b)], "ns/c", tmp_path / "ns" / "c")
    assert result.episodes == 2
    info = json.loads((tmp_path / "ns" / "c" / layout.INFO_PATH).read_text())
    assert info["robot_type"] == "so_follower"
