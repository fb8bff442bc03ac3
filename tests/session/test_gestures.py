"""Leader-arm gestures: the detector alone, then a live session on the simulated STS3215 bus
(pty) where holding the gripper closed at the rest pose marks success and holding it open
there marks failure. Real parts: the servo-bus simulator, the leader device, MuJoCo, a live
server and its websocket."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from leisaac_core import so101
from leisaac_core.session import SessionConfig
from leisaac_core.session.gestures import GestureDetector, HandsFreeConfig
from tests.support.leader_poses import AWAY, CALIBRATION, REST, raw_ticks, with_gripper
from tests.support.live_server import LiveServer, collect_until, make_settings, start_server
from tests.support.sts3215_bus import SimulatedBus


def test_detector_arms_after_leaving_rest_and_fires_once_after_the_hold() -> None:
    detector = GestureDetector(HandsFreeConfig())
    # Starting at rest with the gripper closed (as every episode does) is no gesture.
    assert all(detector.update(REST, t / 10) is None for t in range(30))
    assert detector.update(AWAY, 3.0) is None
    assert detector.update(REST, 3.1) is None
    assert detector.update(REST, 3.6) is None  # held 0.5 s of 1 s
    assert detector.update(REST, 4.2) == "success"
    assert detector.update(REST, 5.5) is None, "fires once, then waits to be armed again"
    # Open at rest is failure; letting go before the hold ends cancels it.
    detector.update(AWAY, 6.0)
    open_rest = with_gripper(REST, 100.0)
    assert detector.update(open_rest, 6.1) is None
    assert detector.update(with_gripper(REST, 50.0), 6.8) is None  # half open: no gesture
    assert detector.update(open_rest, 7.0) is None
    assert detector.update(open_rest, 8.05) == "failure"
    # Closed but away from rest is not the gesture.
    detector.update(AWAY, 9.0)
    closed_away = with_gripper(AWAY, 0.0)
    assert all(detector.update(closed_away, 9 + t / 10) is None for t in range(30))


def test_gestures_are_configurable() -> None:
    config = SessionConfig.model_validate(
        {
            "devices": [{"type": "so101_leader", "port": "socket://x:1"}],
            "dataset": {"repo_id": "op/x"},
            "episode": {
                "hands_free": {"success": {"gripper": "open", "hold_s": 0.5}, "failure": None}
            },
        }
    ).episode.hands_free
    assert config.describe() == "gripper open 0.5 s at the rest pose = success"
    with pytest.raises(ValueError, match="gripper"):
        SessionConfig.model_validate(
            {
                "dataset": {"repo_id": "op/x"},
                "episode": {"hands_free": {"success": {"gripper": "sideways"}}},
            }
        )


def _leave_rest_until_seen(arm: SimulatedBus, http: httpx.Client) -> None:
    """Move the leader away from the rest pose and hold it there until the session has acted
    on it (the follower's joints left the rest pose while recording), which arms the
    gestures. A fixed sleep is not enough: on a loaded machine the loop may not read the bus
    within it, and the gesture would never be armed."""
    arm.set_positions(raw_ticks(AWAY))
    rest = so101.rest_pose_radians()[:5]
    deadline = time.monotonic() + 30
    while True:
        status = http.get("/api/session").json()
        joints = so101.normalized_to_radians(np.asarray(status["joint_state"], dtype=float))
        if status["phase"] == "recording" and np.abs(joints[:5] - rest).max() > np.deg2rad(10):
            return
        assert time.monotonic() < deadline, f"the session never saw the arm move: {status}"
        time.sleep(0.05)


@pytest.fixture
def live_server(tmp_path: Path):
    server = start_server(make_settings(tmp_path / "datasets"))
    yield server
    server.stop()


def test_leader_gestures_end_episodes_on_the_simulated_bus(
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
        arm.set_positions(raw_ticks(REST))
        body = {
            "episodes": 1,
            "env": {"task": "so101_pick_orange", "camera_width": 64, "camera_height": 48},
            "devices": [
                {"type": "so101_leader", "port": arm.url, "calibration_path": str(calibration)}
            ],
            "dataset": {"repo_id": "op/hands-free", "keep_failures": True},
            "episode": {"reset_time_s": 0, "time_s": 120},
        }
        response = http.post("/api/session", json=body)
        assert response.status_code == 201, response.text
        collect_until(ws, {"recording_started"}, timeout=60)
        time.sleep(1.5)  # resting closed at the start is no gesture
        assert http.get("/api/session").json()["phase"] == "recording"

        # Failure first: leave the rest pose, come back with the gripper open, hold.
        _leave_rest_until_seen(arm, http)
        arm.set_positions(raw_ticks(with_gripper(REST, 100.0)))
        events, _, _ = collect_until(ws, {"episode_failure"}, timeout=30)
        assert "leader-arm gesture" in events[-1]["message"]
        collect_until(ws, {"recording_started"}, timeout=60)

        # Success: leave, come back to rest, close the gripper, hold.
        _leave_rest_until_seen(arm, http)
        arm.set_positions(raw_ticks(REST))
        events, _, _ = collect_until(ws, {"episode_succeeded"}, timeout=30)
        assert "leader-arm gesture (success)" in events[-1]["message"]
        collect_until(ws, {"session_finished"}, timeout=60)
        episodes = http.get("/api/datasets/op/hands-free/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success"]
        failures = http.get("/api/datasets/op/hands-free_failures/episodes").json()
        assert [e["outcome"] for e in failures] == ["failure"]
