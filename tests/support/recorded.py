"""A small dataset recorded the way a user records one: `record` in a subprocess (scripted
demonstrator, lift-cube task, small cameras), for tests that need real episodes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def record_dataset(home: Path, repo_id: str, episodes: int = 1, seed: int = 3) -> Path:
    """Record into $HF_LEROBOT_HOME=`home`; returns the dataset directory."""
    result = subprocess.run(
        [
            sys.executable, "-m", "server.cli", "record", "--task", "so101_lift_cube",
            "--camera-size", "96x64", "--seed", str(seed), "--episodes", str(episodes),
            "--repo-id", repo_id,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_LEROBOT_HOME": str(home)},
        cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return home / repo_id
