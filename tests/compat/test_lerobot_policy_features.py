"""A policy session's dataset (expert server over the OpenPI protocol, reward/done/success/
intervention per frame) loads in lerobot's own LeRobotDataset with the values we wrote."""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.policy.expert import ExpertPolicy
from leisaac_core.policy.server import PolicyServer
from leisaac_core.session import SessionConfig, SessionEngine
from tests.compat.lerobot_reader_support import run_lerobot_probe

FEATURES = ("next.reward", "next.done", "next.success", "intervention")


def _record(root: Path, url: str) -> Path:
    engine = SessionEngine(root)
    events: queue.Queue = queue.Queue()
    engine.add_listener(events.put)
    engine.start()
    config = SessionConfig(
        episodes=2,
        env={"task": "so101_lift_cube", "camera_width": 64, "camera_height": 48},
        policy={"url": url},
        dataset={"repo_id": "sim/policy"},
        episode={"seed": 0, "realtime": False, "success_tail_ticks": 5},
    )
    engine.submit("start", config).result(timeout=120)
    while (event := events.get(timeout=300)).kind not in ("session_finished", "session_stopped"):
        pass
    engine.shutdown()
    assert event.data["episodes_saved"] == 2, event.message
    return root / "sim" / "policy"


def test_lerobot_reads_reward_done_success_and_intervention(
    lerobot_python: Path, tmp_path: Path
) -> None:
    server = PolicyServer(lambda: ExpertPolicy(chunk_size=10), port=0).start()
    try:
        dataset = _record(tmp_path, server.url)
    finally:
        server.stop()
    files = sorted((dataset / "data").rglob("*.parquet"))
    ours = pa.concat_tables([pq.read_table(f) for f in files])

    [read] = run_lerobot_probe(lerobot_python, [(dataset, "sim/policy")], tmp_path)
    assert int(read["num_frames"]) == ours.num_rows
    for key in FEATURES:
        values = read[f"feature/{key}"].reshape(-1)
        np.testing.assert_array_equal(values, ours.column(key).to_numpy(zero_copy_only=False))
    reward = read["feature/next.reward"].reshape(-1)
    done = read["feature/next.done"].reshape(-1).astype(bool)
    episode = read["episode_index"].reshape(-1)
    # Per episode: done only on the last frame; the last six frames (success + 5-tick tail)
    # carry reward 1.
    for index in (0, 1):
        mine = episode == index
        assert done[mine][-1] and not done[mine][:-1].any()
        assert (reward[mine][-6:] == 1.0).all() and reward[mine][0] == 0.0
