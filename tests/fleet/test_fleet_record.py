"""`fleet record` on a real two-node Ray cluster: real MuJoCo sessions in Ray actors, one
dataset written by the head, loaded by lerobot's own reader."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leisaac_core.dataset import load_episodes
from server.cli import main
from tests.compat.lerobot_reader_support import run_lerobot_probe

ARGS = ["--task", "so101_lift_cube", "--camera-size", "32x24", "--device", "scripted"]


@pytest.mark.compat
def test_two_workers_on_two_nodes_record_one_dataset(
    ray_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], lerobot_python: Path
) -> None:
    root = tmp_path / "fleet" / "lift"
    rc = main(
        [
            "fleet",
            "record",
            "--workers",
            "2",
            "--address",
            ray_cluster.address,
            *ARGS,
            "--episodes",
            "6",
            "--repo-id",
            "fleet/lift",
            "--root",
            str(root),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "6/6" in err and "worker-1" in err and "worker-2" in err  # the progress line
    episodes = load_episodes(root)
    assert [e.index for e in episodes] == list(range(6))
    assert sorted(e.seed for e in episodes) == list(range(6)), "disjoint seeds, none skipped"
    assert all(e.outcome == "success" for e in episodes)
    # Every episode was recorded by one of the two workers (one per node). How the six are
    # shared depends on scheduling (a worker slow to start may get none), so not asserted.
    saved_by = re.findall(r"saved as episode \d+ by (worker-\d+)", err)
    assert len(saved_by) == 6 and set(saved_by) <= {"worker-1", "worker-2"}, err

    (read,) = run_lerobot_probe(lerobot_python, [(root, "fleet/lift")], tmp_path, stride=7)
    assert int(read["num_episodes"]) == 6
    assert int(read["num_frames"]) == sum(e.length for e in episodes)
    assert sorted(set(read["episode_index"].tolist())) == list(range(6))

    # Again without --resume: refused, and the dataset is untouched.
    rc = main(["fleet", "record", "--address", ray_cluster.address, *ARGS, "--episodes", "7",
               "--repo-id", "fleet/lift", "--root", str(root)])  # fmt: skip
    assert rc == 1
    assert "--resume" in capsys.readouterr().err
    assert len(load_episodes(root)) == 6

    # --resume continues to 8 episodes with the next seeds, no seed twice.
    rc = main(["fleet", "record", "--address", ray_cluster.address, *ARGS, "--episodes", "8",
               "--repo-id", "fleet/lift", "--root", str(root), "--resume"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert sorted(e.seed for e in load_episodes(root)) == list(range(8))


def test_two_workers_record_the_two_arm_task(
    ray_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fleet takes two arms as it takes one: 12 joints, three cameras, one dataset."""
    import json

    root = tmp_path / "fleet" / "toys"
    rc = main(
        ["fleet", "record", "--workers", "2", "--address", ray_cluster.address,
         "--task", "bi_so101_clean_toy_table", "--camera-size", "32x24", "--device", "scripted",
         "--episodes", "3", "--repo-id", "fleet/toys", "--root", str(root)]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    episodes = load_episodes(root)
    assert len(episodes) == 3 and all(e.outcome == "success" for e in episodes)
    assert sorted(e.seed for e in episodes) == [0, 1, 2]
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["robot_type"] == "bi_so_follower"
    assert info["features"]["action"]["shape"] == [12]
    assert {k for k in info["features"] if k.startswith("observation.images.")} == {
        "observation.images.left_wrist",
        "observation.images.right_wrist",
        "observation.images.top",
    }


def test_bad_arguments_are_cli_errors(capsys: pytest.CaptureFixture[str]) -> None:
    # A person's device is not among the fleet's choices (workers run unattended).
    with pytest.raises(SystemExit) as exit_:
        main(["fleet", "record", "--device", "keyboard", "--repo-id", "a/b"])
    assert exit_.value.code == 2
    assert "--device: invalid choice: 'keyboard'" in capsys.readouterr().err
    rc = main(["fleet", "record", "--task", "nope", "--repo-id", "a/b"])
    assert rc == 2
    assert "--task: unknown task" in capsys.readouterr().err
    rc = main(["fleet", "record", "--fps", "0", "--repo-id", "a/b"])
    assert rc == 2
    assert "--fps: " in capsys.readouterr().err
    rc = main(["fleet", "record", "--device", "policy", "--repo-id", "a/b"])
    assert rc == 2
    assert "--device policy needs --policy-url" in capsys.readouterr().err


def test_head_killed_then_resume_continues_without_duplicates(
    ray_cluster: Any, tmp_path: Path
) -> None:
    """The head (the `fleet record` process, Ray's driver) dies by SIGKILL after its first
    commits; `--resume` finishes the dataset with every seed exactly once."""
    root = tmp_path / "head" / "killed"
    cmd = [
        sys.executable, "-m", "server.cli", "fleet", "record", "--address", ray_cluster.address,
        *ARGS, "--episodes", "6", "--repo-id", "head/killed", "--root", str(root),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    head = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert head.stderr is not None
        for line in head.stderr:
            if "saved as episode 1 " in line:
                head.kill()  # SIGKILL
                break
        head.wait(timeout=60)
    finally:
        if head.poll() is None:
            head.kill()
    kept = load_episodes(root)
    assert 2 <= len(kept) < 6, "the head was killed mid-run"
    resumed = subprocess.run(
        [*cmd, "--resume"], capture_output=True, text=True, env=env, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    episodes = load_episodes(root)
    assert [e.index for e in episodes] == list(range(6))
    assert sorted(e.seed for e in episodes) == list(range(6)), "no seed twice, none skipped"
