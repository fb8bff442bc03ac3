"""Two arms as lerobot writes them: a bi-arm clean-toy-table dataset recorded by the real
session (MuJoCo, the scripted demonstrator for two arms, our writer) loads in lerobot's own
reader with the 12 joints and three cameras in lerobot's bimanual names, and merges through
lerobot's own aggregate_datasets with a dataset lerobot's writer made in the shape its
`bi_so_follower` gives (robot_type bi_so_follower, left_*/right_* joints, per-arm cameras
prefixed). LeIsaac's identity records bi_so101_follower in normalized units."""

from __future__ import annotations

import json
import queue
from pathlib import Path

import numpy as np
import pytest
from lerobot_reader_support import lerobot_make, run_lerobot_merges, run_lerobot_probe

from leisaac_core import so101
from leisaac_core.dataset import load_episode_signals, load_episodes
from leisaac_core.session import SessionConfig, SessionEngine

pytestmark = pytest.mark.compat

TASK = "bi_so101_clean_toy_table"
CAMERAS = ("left_wrist", "right_wrist", "top")
W, H = 64, 48
NAMES = [f"{arm}_{n}" for arm in ("left", "right") for n in so101.JOINT_FEATURE_NAMES]
THEIRS = [(9, 200), (12, 300)]


def _record(root: Path, repo_id: str, identity: str | None = None, episodes: int = 2) -> Path:
    engine = SessionEngine(root)
    events: queue.Queue = queue.Queue()
    engine.add_listener(events.put)
    engine.start()
    config = SessionConfig(
        episodes=episodes,
        env={"task": TASK, "camera_width": W, "camera_height": H},
        devices=[{"type": "scripted"}],
        dataset={"repo_id": repo_id, "identity": identity},
        episode={"seed": 0},
    )
    engine.submit("start", config).result(timeout=120)
    while (event := events.get(timeout=600)).kind not in ("session_finished", "session_stopped"):
        pass
    engine.shutdown()
    assert event.data["episodes_saved"] == episodes, event.message
    return root / repo_id


def test_two_arm_session_dataset_is_lerobots_bimanual_shape_and_merges(
    lerobot_python: Path, tmp_path: Path
) -> None:
    ours = _record(tmp_path / "datasets", "bi/ours")
    info = json.loads((ours / "meta/info.json").read_text())
    assert info["robot_type"] == "bi_so_follower"
    for key in ("observation.state", "action"):
        assert info["features"][key]["names"] == NAMES and info["features"][key]["shape"] == [12]
    assert sorted(k for k in info["features"] if k.startswith("observation.images.")) == sorted(
        f"observation.images.{c}" for c in CAMERAS
    )
    episodes = load_episodes(ours)
    assert [e.outcome for e in episodes] == ["success", "success"]

    theirs = tmp_path / "datasets" / "bi" / "real"
    job = {
        "root": str(theirs),
        "repo_id": "bi/real",
        "episodes": THEIRS,
        "height": H,
        "width": W,
        "names": NAMES,
        "robot_type": "bi_so_follower",
        "cameras": list(CAMERAS),
        "vcodec": "h264",
    }
    lerobot_make(lerobot_python, [job], tmp_path)
    into = tmp_path / "datasets" / "bi" / "merged"
    run_lerobot_merges(
        lerobot_python, [([(theirs, "bi/real"), (ours, "bi/ours")], into, "bi/merged")], tmp_path
    )

    merged, alone = run_lerobot_probe(
        lerobot_python, [(into, "bi/merged"), (ours, "bi/ours")], tmp_path, stride=7
    )
    ours_frames = sum(e.length for e in episodes)
    assert int(merged["num_episodes"]) == 4
    assert int(merged["num_frames"]) == sum(n for n, _ in THEIRS) + ours_frames
    assert set(merged["task"]) >= {
        "Pick two letter e objects into the box, and reset the arm to rest state."
    }
    # Our episodes read back from our dataset as we wrote them (degrees, both arms)...
    signals = [load_episode_signals(ours, e.index) for e in episodes]
    state = np.concatenate([np.asarray(s["state"]) for s in signals])
    items = [int(i) for i in alone["items"]]
    np.testing.assert_allclose(alone["state"], state[items], atol=1e-5)
    assert alone["state"].shape[1] == 12
    for camera in CAMERAS:
        assert alone[f"img/observation.images.{camera}"].shape[1:] == (H, W, 3)
    # ...and the merged dataset holds lerobot's frames first, then ours unchanged.
    offset = sum(n for n, _ in THEIRS)
    for row, item in enumerate(int(i) for i in merged["items"]):
        if item >= offset:
            np.testing.assert_allclose(merged["state"][row], state[item - offset], atol=1e-5)


def test_leisaac_identity_records_bi_so101_follower_in_normalized_units(tmp_path: Path) -> None:
    ours = _record(tmp_path / "datasets", "bi/leisaac", identity="leisaac", episodes=1)
    info = json.loads((ours / "meta/info.json").read_text())
    assert info["robot_type"] == "bi_so101_follower"
    state = np.asarray(load_episode_signals(ours, 0)["state"])
    # Normalized: the grippers read 0..100 and the arm joints -100..100, as LeIsaac writes.
    assert state.shape[1] == 12 and np.abs(state).max() <= 100.0 + 1e-3
