"""Two leader arms drive the two-arm task over REST: both arms of the sim follow their own
leader, an unplugged arm pauses the episode with its side named (nothing recorded while
paused, the saved episode stays) and it resumes by itself when the arm is back, and a
gesture on one arm ends an episode. Real parts:
two simulated STS3215 buses on ptys, MuJoCo, the writer, a live server and its websocket."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np
from websockets.sync.client import connect

from tests.support.leader_poses import AWAY, CALIBRATION, REST, raw_ticks
from tests.support.live_server import LiveServer, collect_until
from tests.support.sts3215_bus import SimulatedBus

PANNED = np.array([40.0, 0.0, 0.0, 0.0, 0.0, 50.0])


def _wait_joints(http: httpx.Client, left: np.ndarray, right: np.ndarray) -> dict:
    """Until the sim's two arms have followed their leaders (normalized units)."""
    deadline = time.monotonic() + 30
    while True:
        status = http.get("/api/session").json()
        state = np.asarray(status["joint_state"] or [0.0] * 12)
        if (
            status["phase"] == "recording"
            and np.abs(state[:5] - left[:5]).max() < 6
            and np.abs(state[6:11] - right[:5]).max() < 6
        ):
            return status
        assert time.monotonic() < deadline, f"the arms never followed their leaders: {status}"
        time.sleep(0.05)


def test_two_leader_arms_drive_the_two_arm_task(live_server: LiveServer, tmp_path: Path) -> None:
    calibration = tmp_path / "leader.json"
    calibration.write_text(json.dumps(CALIBRATION))
    with (
        SimulatedBus("pty") as left,
        SimulatedBus("pty") as right,
        connect(live_server.ws_url) as ws,
        live_server.client() as http,
    ):
        ws.recv(timeout=10)
        left.set_positions(raw_ticks(REST))
        right.set_positions(raw_ticks(REST))
        leader = {"type": "so101_leader", "calibration_path": str(calibration)}
        body = {
            "episodes": 2,
            "env": {"task": "bi_so101_clean_toy_table", "camera_width": 64, "camera_height": 48},
            "devices": [
                {**leader, "arm": "right", "port": right.url},
                {**leader, "arm": "left", "port": left.url},
            ],
            "dataset": {"repo_id": "op/two-leaders"},
            "episode": {"time_s": 120, "reset_time_s": 0},
        }
        response = http.post("/api/session", json=body)
        assert response.status_code == 201, response.text
        collect_until(ws, {"recording_started"}, timeout=60)
        status = _wait_joints(http, REST, REST)
        assert status["device"] == "bi_so101_leader"
        assert status["joint_names"][0] == "left_shoulder_pan.pos"

        # Each arm follows its own leader (listed right first: the order is the task's).
        left.set_positions(raw_ticks(AWAY))
        right.set_positions(raw_ticks(PANNED))
        _wait_joints(http, AWAY, PANNED)
        assert http.post("/api/session/success").status_code == 200
        collect_until(ws, {"recording_started"}, timeout=60)

        # The left arm unplugged: the episode pauses (both arms hold, nothing recorded),
        # the left side is named, and it resumes by itself once the arm is back.
        left.unplug()
        events, _, _ = collect_until(ws, {"episode_paused", "session_error"}, timeout=30)
        paused = events[-1]
        assert paused["kind"] == "episode_paused", [e["message"] for e in events]
        assert "left leader arm" in paused["message"] and "right" not in paused["message"]
        snapshot = http.get("/api/session").json()
        assert snapshot["phase"] == "recording" and "left leader arm" in snapshot["paused"]
        frames = snapshot["frames_recorded"]
        time.sleep(0.5)
        assert http.get("/api/session").json()["frames_recorded"] == frames, "nothing recorded"
        assert http.get("/api/datasets/op/two-leaders/episodes").json()[0]["outcome"] == "success"

        left.replug()
        left.set_positions(raw_ticks(REST))
        right.set_positions(raw_ticks(REST))
        events, _, _ = collect_until(ws, {"episode_resumed", "session_error"}, timeout=30)
        assert events[-1]["kind"] == "episode_resumed", [e["message"] for e in events]
        assert not [e for e in events if e["kind"] == "episode_failure"]

        # Hands-free from the right arm: away, back to rest, gripper closed, held.
        right.set_positions(raw_ticks(AWAY))
        _wait_joints(http, REST, AWAY)
        right.set_positions(raw_ticks(REST))
        events, _, _ = collect_until(ws, {"episode_succeeded"}, timeout=30)
        assert "leader-arm gesture (success)" in events[-1]["message"]
        collect_until(ws, {"session_finished"}, timeout=60)

        episodes = http.get("/api/datasets/op/two-leaders/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success", "success"]
        assert all(e["device"] == "bi_so101_leader" for e in episodes)
