"""`leisaac-dashboard record` as a user runs it: a subprocess, real MuJoCo, a real dataset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from leisaac_core.dataset import load_episodes

BASE = [
    sys.executable,
    "-m",
    "server.cli",
    "record",
    "--task",
    "so101_lift_cube",
    "--camera-size",
    "96x64",
    "--seed",
    "3",
]


def _record(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_LEROBOT_HOME": str(root)}
    return subprocess.run(
        [*BASE, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_records_n_episodes_and_exits_0(tmp_path: Path) -> None:
    result = _record("--episodes", "2", "--repo-id", "cli/lift", root=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "episode 1 saved" in result.stderr and "episode 2 saved" in result.stderr
    assert "\r" not in result.stderr, "no progress bar when stderr is not a terminal"
    episodes = load_episodes(tmp_path / "cli" / "lift")
    assert [e.index for e in episodes] == [0, 1]
    assert all(e.outcome == "success" and e.device == "scripted" for e in episodes)
    # Resume appends; without --resume the existing dataset is refused and left alone.
    refused = _record("--episodes", "1", "--repo-id", "cli/lift", root=tmp_path)
    assert refused.returncode == 1
    assert "resume" in refused.stderr
    assert len(load_episodes(tmp_path / "cli" / "lift")) == 2
    # Resume with other settings: refused once (not twice), naming the flags that match it.
    other = ("--episodes", "1", "--repo-id", "cli/lift", "--resume", "--codec", "av1")
    mismatched = _record(*other, "--fps", "15", root=tmp_path)
    assert mismatched.returncode == 1
    assert mismatched.stderr.count("cannot resume") == 1, mismatched.stderr
    assert "pass --fps 30" in mismatched.stderr and "pass --codec h264" in mismatched.stderr
    assert len(load_episodes(tmp_path / "cli" / "lift")) == 2
    resumed = _record("--episodes", "1", "--repo-id", "cli/lift", "--resume", root=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert len(load_episodes(tmp_path / "cli" / "lift")) == 3


def test_too_many_failures_in_a_row_exit_non_zero(tmp_path: Path) -> None:
    # An episode time limit far too short for the task: every episode times out.
    result = _record(
        "--episodes",
        "2",
        "--repo-id",
        "cli/timeout",
        "--episode-time",
        "0.5",
        "--max-failures",
        "2",
        root=tmp_path,
    )
    assert result.returncode == 1
    assert "2 failed episodes in a row" in result.stderr


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    result = _record("--episodes", "1", "--repo-id", "../../etc", root=tmp_path)
    assert result.returncode == 2
    assert "--repo-id" in result.stderr and "namespace/name" in result.stderr
    result = _record("--episodes", "1", "--repo-id", "a/b", "--camera-size", "big", root=tmp_path)
    assert result.returncode == 2
    assert "640x480" in result.stderr
    assert not list(tmp_path.iterdir()), "nothing was written"


def test_errors_name_the_flags(tmp_path: Path) -> None:
    """What is missing or wrong is said in flags, not in the session config's field paths."""
    cases = [
        (("--device", "so101_leader"), "error: the so101_leader needs --port"),
        (
            (
                "--device",
                "policy",
                "--policy-url",
                "ws://127.0.0.1:1",
                "--takeover",
                "so101_leader",
            ),
            "error: the so101_leader needs --port",
        ),
        (("--device", "policy"), "error: --device policy needs --policy-url ws://HOST:PORT"),
        (("--device", "policy", "--policy-url", "http://x"), "error: --policy-url: "),
        (("--fps", "0"), "error: --fps: "),
        (("--camera-size", "97x64"), "error: --camera-size: "),
        (("--episode-time", "-1"), "error: --episode-time: "),
        (("--backend", "unreal"), "error: --backend: "),
        (("--device", "joystick"), "error: --device: "),
    ]
    for flags, needle in cases:
        result = _record("--episodes", "1", "--repo-id", "a/b", *flags, root=tmp_path)
        assert result.returncode == 2, (flags, result.stderr)
        assert needle in result.stderr, (flags, result.stderr)
        for config_path in ("env.", "devices", "policy.url", "episode.", "dataset."):
            assert config_path not in result.stderr, (flags, result.stderr)
    assert not list(tmp_path.iterdir()), "nothing was written"


def test_a_full_disk_fails_the_episode_and_keeps_what_was_saved(tmp_path: Path) -> None:
    """A disk that fills up mid-session. No mock: the recording process runs with a file-size
    limit (RLIMIT_FSIZE), so the kernel refuses the writes as a full disk would (EFBIG instead
    of ENOSPC; mounting a small filesystem would need root)."""
    assert _record("--episodes", "1", "--repo-id", "cli/full", root=tmp_path).returncode == 0

    def limit_file_size() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = {**os.environ, "HF_LEROBOT_HOME": str(tmp_path)}
    result = subprocess.run(
        [*BASE, "--episodes", "1", "--repo-id", "cli/full", "--resume"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        preexec_fn=limit_file_size,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 1, result.stderr
    assert "episode 1 could not be saved" in result.stderr
    assert "0 episode(s) saved" in result.stderr.splitlines()[-1]
    # The episode saved before the disk filled is intact and the dataset still opens.
    episodes = load_episodes(tmp_path / "cli" / "full")
    assert [e.index for e in episodes] == [0]
    again = _record("--episodes", "1", "--repo-id", "cli/full", "--resume", root=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(load_episodes(tmp_path / "cli" / "full")) == 2


def test_env_process_records_the_same_episode_as_in_process(tmp_path: Path) -> None:
    """`--env-process` runs MuJoCo in an env host process; with one seed the recorded
    episode is identical to the in-process one (state, actions and length)."""
    from leisaac_core.dataset import load_episode_signals

    hosted = _record("--episodes", "1", "--repo-id", "cli/hosted", "--env-process", root=tmp_path)
    assert hosted.returncode == 0, hosted.stderr
    local = _record("--episodes", "1", "--repo-id", "cli/local", root=tmp_path)
    assert local.returncode == 0, local.stderr
    a = load_episode_signals(tmp_path / "cli" / "hosted", 0)
    b = load_episode_signals(tmp_path / "cli" / "local", 0)
    assert len(a["state"]) == len(b["state"]) > 0
    np.testing.assert_array_equal(a["state"], b["state"])
    np.testing.assert_array_equal(a["action"], b["action"])


def test_two_leader_arms_from_flags(capsys) -> None:
    """A two-arm task takes a leader per arm: --left-port and --right-port (with their own
    calibration files); anything else is said in flags."""
    from server.cli import build_parser
    from server.cli.record import session_config

    def config(*flags: str):
        args = build_parser().parse_args(["record", "--repo-id", "a/b", *flags])
        return session_config(args)

    two = ("--task", "bi_so101_clean_toy_table", "--device", "so101_leader")
    made = config(*two, "--left-port", "/dev/ttyACM0", "--right-port", "/dev/ttyACM1",
                  "--right-calibration", "/tmp/r.json")  # fmt: skip
    assert made is not None and made.driver == "bi_so101_leader"
    assert [(d.arm, d.port) for d in made.devices] == [
        ("left", "/dev/ttyACM0"),
        ("right", "/dev/ttyACM1"),
    ]
    assert made.devices[1].calibration_path == Path("/tmp/r.json")
    capsys.readouterr()
    cases = [
        ((*two, "--port", "/dev/ttyACM0"), "has two arms: give each leader arm its port with"),
        ((*two, "--left-port", "/dev/a"), "--right-port is missing"),
        (("--device", "so101_leader", "--left-port", "/dev/a"), "has one arm: give its"),
        ((*two, "--left-port", "/dev/a", "--right-port", "/dev/a"), "two leader arms on one port"),
    ]
    for flags, needle in cases:
        assert config(*flags) is None, flags
        assert needle in capsys.readouterr().err, flags
