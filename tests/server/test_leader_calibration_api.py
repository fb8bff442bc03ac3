"""Calibrating the leader arm through the REST routes the page uses, against the simulated
STS3215 bus on a pty (no mock: the routes talk the real protocol over a real pty)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.sts3215_bus import SimulatedBus

MID_POSE = [1000, 3000, 2000, 2500, 100, 1500]
LOW = [-700, -900, -800, -1000, 0, -30]
HIGH = [650, 950, 780, 1000, 1500, 900]


@pytest.fixture
def calibration_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "calibration"
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(path))
    return path


def test_calibrate_from_the_page(live_server: LiveServer, calibration_dir: Path) -> None:
    with SimulatedBus("pty") as sim, live_server.client() as http:
        sim.set_positions(MID_POSE)
        started = http.post(
            "/api/leader/calibration", json={"port": sim.url, "arm_id": "web_leader"}
        )
        assert started.status_code == 200, started.text
        assert started.json()["step"] == "mid_pose"
        assert "middle" in started.json()["instruction"]
        # A second start while one is in progress is refused.
        assert http.post("/api/leader/calibration", json={"port": sim.url}).status_code == 409
        live = http.get("/api/leader/calibration").json()
        assert set(live["positions"]) == {
            "shoulder_pan",
            "shoulder_lift",
            "elbow_flex",
            "wrist_flex",
            "wrist_roll",
            "gripper",
        }
        assert http.post("/api/leader/calibration/mid_pose").json()["step"] == "range"
        for ends in (LOW, HIGH):
            for k in range(6):
                sim.set_positions([m + k / 5 * d for m, d in zip(MID_POSE, ends, strict=True)])
                feedback = http.get("/api/leader/calibration").json()
        assert feedback["range_max"]["shoulder_lift"] > feedback["range_min"]["shoulder_lift"]
        done = http.post("/api/leader/calibration/finish")
        assert done.status_code == 200, done.text
        saved = Path(done.json()["path"])
        assert saved.parent.parent.parent == calibration_dir and saved.name == "web_leader.json"
        data = json.loads(saved.read_text())
        assert data["shoulder_pan"]["id"] == 1 and data["gripper"]["id"] == 6
        assert data["wrist_roll"]["range_min"] == 0 and data["wrist_roll"]["range_max"] == 4095
        # Nothing in progress any more.
        assert http.get("/api/leader/calibration").status_code == 409


def test_calibration_errors_are_clear(live_server: LiveServer, calibration_dir: Path) -> None:
    with live_server.client() as http:
        missing = http.post("/api/leader/calibration", json={"port": "/dev/does-not-exist"})
        assert missing.status_code == 409
        assert "/dev/does-not-exist" in missing.json()["detail"]
        bad_id = http.post("/api/leader/calibration", json={"port": "/dev/x", "arm_id": "../../x"})
        assert bad_id.status_code == 422
        assert http.post("/api/leader/calibration/mid_pose").status_code == 409
        assert http.post("/api/leader/calibration/finish").status_code == 409
    with SimulatedBus("pty") as sim, live_server.client() as http:
        sim.set_positions(MID_POSE)
        assert http.post("/api/leader/calibration", json={"port": sim.url}).status_code == 200
        # Finishing before the mid pose is confirmed is out of order.
        early = http.post("/api/leader/calibration/finish")
        assert early.status_code == 409
        assert http.delete("/api/leader/calibration").json()["step"] == "cancelled"
        # Unplugged mid-procedure: a clear message, and the slot is free again.
        assert http.post("/api/leader/calibration", json={"port": sim.url}).status_code == 200
        sim.unplug()
        gone = http.get("/api/leader/calibration")
        assert gone.status_code == 409
        assert "leader arm" in gone.json()["detail"]
