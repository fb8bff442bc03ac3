"""Replay in the sim: a scripted episode recorded in MuJoCo replays from its stored seed to
the same success with (near) zero joint-state error; the CLI reports it. Real MuJoCo, a real
dataset written by `record`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from leisaac_core.replay import ReplayError, replay_episode

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_LEROBOT_HOME": str(home)},
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    result = _cli(
        "record", "--task", "so101_lift_cube", "--camera-size", "96x64", "--seed", "3",
        "--episodes", "1", "--repo-id", "replay/lift",
        home=home,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return home


def test_scripted_episode_replays_to_the_same_success(recorded: Path, tmp_path: Path) -> None:
    result = replay_episode(recorded / "replay" / "lift", 0, video_dir=tmp_path)
    assert result.recorded_outcome == "success"
    assert result.success, "the deterministic MuJoCo replay did not succeed again"
    assert result.seed == 3 and result.task == "so101_lift_cube"
    # Normalized units (a 200-wide range). Not zero: the warmup ticks before the first
    # recorded frame are not in the dataset and are replayed approximately.
    assert result.joint_error_mean < 0.5 and result.joint_error_max < 6.0, result
    for camera in ("front", "wrist"):
        with av.open(str(result.videos[camera])) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames == result.frames


def test_pick_orange_episode_replays_to_the_same_success(tmp_path: Path) -> None:
    """The contact-rich task too: three oranges grasped and placed again from the actions."""
    home = tmp_path / "home"
    result = _cli(
        "record", "--task", "so101_pick_orange", "--camera-size", "32x24", "--seed", "1",
        "--episodes", "1", "--repo-id", "replay/pick",
        home=home,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    replay = replay_episode(home / "replay" / "pick", 0)
    assert replay.recorded_outcome == "success" and replay.task == "so101_pick_orange"
    assert replay.success, "the deterministic MuJoCo replay did not place the oranges again"
    assert replay.joint_error_mean < 0.5 and replay.joint_error_max < 6.0, replay


def test_cli_replays_and_reports(recorded: Path) -> None:
    ok = _cli("replay", "--repo-id", "replay/lift", "--episode", "0", home=recorded)
    assert ok.returncode == 0, ok.stderr
    assert "replay succeeds again" in ok.stdout
    assert "joint-state error" in ok.stdout
    missing = _cli("replay", "--repo-id", "replay/lift", "--episode", "9", home=recorded)
    assert missing.returncode == 2
    assert "episode 9 does not exist" in missing.stderr


def test_missing_episode_is_a_clear_error(recorded: Path) -> None:
    with pytest.raises(ReplayError, match="does not exist"):
        replay_episode(recorded / "replay" / "lift", 5)


@pytest.fixture(scope="module")
def clean_toy_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One episode of each clean-toy-table task (they share LeIsaac's task text)."""
    home = tmp_path_factory.mktemp("toys")
    for task in ("so101_clean_toy_table", "bi_so101_clean_toy_table"):
        result = _cli(
            "record", "--task", task, "--camera-size", "64x48", "--seed", "2",
            "--episodes", "1", "--repo-id", f"replay/{task}",
            home=home,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    return home


@pytest.mark.parametrize("task", ["so101_clean_toy_table", "bi_so101_clean_toy_table"])
def test_clean_toy_table_episodes_replay_to_the_same_success(
    clean_toy_tables: Path, tmp_path: Path, task: str
) -> None:
    result = replay_episode(clean_toy_tables / "replay" / task, 0, video_dir=tmp_path)
    assert result.task == task, "the dataset's joints tell the one-arm task from the two-arm one"
    assert result.recorded_outcome == "success" and result.success
    assert result.joint_error_mean < 0.5 and result.joint_error_max < 6.0, result
    cameras = ("left_wrist", "right_wrist", "top") if task.startswith("bi_") else ("front", "wrist")
    assert sorted(result.videos) == sorted(cameras)
