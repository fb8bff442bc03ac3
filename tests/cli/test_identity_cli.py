"""Robot identity through the CLI: `record --identity`, a resume of the other identity
refused naming `--identity`, and `dataset convert` back to the same frames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from leisaac_core import so101

REPO = Path(__file__).resolve().parents[2]
RECORD = [
    *("record", "--task", "so101_lift_cube", "--camera-size", "64x48", "--seed", "3"),
    *("--episodes", "1"),
]


def _cli(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_LEROBOT_HOME": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
    )


def _frames(root: Path) -> dict[str, np.ndarray]:
    parts = [pq.read_table(p) for p in sorted((root / "data").rglob("*.parquet"))]
    return {
        k: np.concatenate([np.stack(t.column(k).to_pylist()) for t in parts])
        for k in ("observation.state", "action")
    }


def test_identity_is_recorded_checked_on_resume_and_converted(tmp_path: Path) -> None:
    default = _cli(*RECORD, "--repo-id", "id/deg", root=tmp_path)
    assert default.returncode == 0, default.stderr
    leisaac = _cli(*RECORD, "--repo-id", "id/norm", "--identity", "leisaac", root=tmp_path)
    assert leisaac.returncode == 0, leisaac.stderr
    deg_root, norm_root = tmp_path / "id" / "deg", tmp_path / "id" / "norm"
    assert json.loads((deg_root / "meta/info.json").read_text())["robot_type"] == "so_follower"
    assert json.loads((norm_root / "meta/info.json").read_text())["robot_type"] == (
        "so101_follower"
    )
    # The same seed, deterministic MuJoCo: the same episode in both units.
    deg, norm = _frames(deg_root), _frames(norm_root)
    for key in deg:
        np.testing.assert_allclose(deg[key], so101.to_units(norm[key], "degrees"), atol=1e-3)
    # Body joints in degrees reach beyond the normalized range's scale at the rest pose
    # (elbow ~90 deg), the gripper stays 0..100.
    assert np.abs(deg["observation.state"][0, 2] - 90.0) < 35.0
    # Resume with the other identity: refused once, naming the option that matches.
    refused = _cli(*RECORD, "--repo-id", "id/norm", "--resume", root=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.count("cannot resume") == 1, refused.stderr
    assert "pass --identity leisaac" in refused.stderr, refused.stderr
    # Convert into a new dataset: the frames of the lerobot-identity recording.
    out = _cli(
        "dataset", "convert", "id/norm", "--identity", "lerobot", "--into", "id/conv",
        root=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "converted id/norm from identity leisaac to lerobot" in out.stdout
    conv = _frames(tmp_path / "id" / "conv")
    for key in deg:
        np.testing.assert_allclose(conv[key], deg[key], atol=1e-3)
    # The converted dataset resumes with the default identity.
    resumed = _cli(*RECORD, "--repo-id", "id/conv", "--resume", "--seed", "4", root=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
