"""A leader arm unplugged mid-episode: the episode ends as an `error` (no attempt at the task,
nothing kept as a failure) with a clear event, the server and the saved episodes stay, and a `reset` after the arm is back resumes the session. Real parts:
the simulated STS3215 bus on a pty, MuJoCo, the writer, a live server."""

from __future__ import annotations

import json
import time
from pathlib import Path

from websockets.sync.client import connect

from leisaac_core.so101 import JOINTS
from tests.support.live_server import LiveServer, collect_until
from tests.support.sts3215_bus import SimulatedBus

CALIBRATION = {
    joint: {"id": i + 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, joint in enumerate(JOINTS)
} | {
    "wrist_roll": {"id": 5, "drive_mode": 0, "homing_offset": 0, "range_min": 0, "range_max": 4095}
}


def test_unplugged_leader_ends_the_episode_in_error_and_reset_recovers(
    live_server: LiveServer, tmp_path: Path
) -> None:
    calibration = tmp_path / "leader.json"
    calibration.write_text(json.dumps(CALIBRATION))
    with (
        SimulatedBus("pty") as arm,
        connect(live_server.ws_url) as ws,
        live_server.client() as http,
    ):
        ws.recv(timeout=10)
        arm.set_positions([2000] * 6)
        body = {
            "episodes": 2,
            "env": {"task": "so101_pick_orange", "camera_width": 64, "camera_height": 48},
            "devices": [
                {"type": "so101_leader", "port": arm.url, "calibration_path": str(calibration)}
            ],
            "dataset": {"repo_id": "op/leader"},
            "episode": {"time_s": 120},
        }
        response = http.post("/api/session", json=body)
        assert response.status_code == 201, response.text
        collect_until(ws, {"recording_started"}, timeout=60)
        assert http.post("/api/session/success").status_code == 200  # one episode saved
        collect_until(ws, {"recording_started"}, timeout=60)

        arm.unplug()
        events, _, _ = collect_until(ws, {"session_error"}, timeout=30)
        error = [e for e in events if e["kind"] == "episode_error"]  # not a failed attempt
        assert error and "leader arm" in error[0]["message"].lower()
        snapshot = http.get("/api/session").json()
        assert snapshot["phase"] == "error" and snapshot["message"]
        refused = http.post("/api/session/success")
        assert refused.status_code == 409 and "reset" in refused.json()["detail"]
        assert http.get("/api/health").status_code == 200  # the server is up

        arm.replug()
        time.sleep(1.5)  # the device retries its port about once a second
        assert http.post("/api/session/reset").status_code == 200
        events, _, _ = collect_until(ws, {"recording_started", "session_error"}, timeout=60)
        assert events[-1]["kind"] == "recording_started", [e["message"] for e in events]
        assert http.post("/api/session/success").status_code == 200
        collect_until(ws, {"session_finished"}, timeout=60)

        episodes = http.get("/api/datasets/op/leader/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success", "success"]
        assert all(e["device"] == "so101_leader" for e in episodes)
