"""A leader arm unplugged mid-episode pauses the episode (the arm holds, nothing is
recorded) with an event that says what happened; the server and the saved episodes stay,
and the episode resumes by itself when the arm is back, as with two arms and the remote
leader. Real parts: the simulated STS3215 bus on a pty, MuJoCo, the writer, a live server."""

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


def test_unplugged_leader_pauses_the_episode_and_resumes_when_back(
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
        events, _, _ = collect_until(ws, {"episode_paused"}, timeout=30)
        assert "leader arm" in events[-1]["message"].lower(), events[-1]
        assert not [e for e in events if e["kind"] in ("episode_error", "session_error")]
        # The snapshot of the pausing tick is published right after its event.
        snapshot = http.get("/api/session").json()
        deadline = time.monotonic() + 30
        while not snapshot["paused"] and time.monotonic() < deadline:
            snapshot = http.get("/api/session").json()
        assert snapshot["phase"] == "recording" and snapshot["paused"]
        frozen = snapshot["frames_recorded"]
        assert http.get("/api/health").status_code == 200  # the server is up
        saved = http.get("/api/datasets/op/leader/episodes").json()
        assert [e["outcome"] for e in saved] == ["success"]  # nothing saved is lost
        assert http.get("/api/session").json()["frames_recorded"] == frozen  # held, not recorded

        arm.replug()  # the device retries its port about once a second
        collect_until(ws, {"episode_resumed"}, timeout=60)
        assert http.post("/api/session/success").status_code == 200
        collect_until(ws, {"session_finished"}, timeout=60)

        episodes = http.get("/api/datasets/op/leader/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success", "success"]
        assert all(e["device"] == "so101_leader" for e in episodes)
