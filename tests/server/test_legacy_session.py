"""Bodies of leisaac-dashboard 0.1 (one flat session object) on a live server: POST
/api/session and POST /api/fleet answer 422 with `new_shape`, the same request nested as the
session config is now, and nothing starts; the session's `new_shape` starts as sent."""

from __future__ import annotations

import time

from leisaac_core.fleet import FleetConfig
from tests.support.live_server import LiveServer

# A flat body as leisaac-dashboard 0.1 sent it (before the session config nested).
FLAT_0_1_BODY = {
    "task": "so101_lift_cube",
    "device": "scripted",
    "episodes": 1,
    "repo_id": "tester/flat",
    "camera_width": 96,
    "camera_height": 64,
    "seed": 3,
    "realtime": False,
    "episode_time_s": 60,
}


def test_a_flat_0_1_body_is_refused_with_its_new_shape_which_starts(
    live_server: LiveServer,
) -> None:
    with live_server.client() as http:
        refused = http.post("/api/session", json=FLAT_0_1_BODY)
        assert refused.status_code == 422, refused.text
        answer = refused.json()
        assert "flat session body of leisaac-dashboard 0.1" in answer["detail"]
        assert answer["new_shape"] == {
            "episodes": 1,
            "env": {"task": "so101_lift_cube", "camera_width": 96, "camera_height": 64},
            "devices": [{"type": "scripted"}],
            "dataset": {"repo_id": "tester/flat"},
            "episode": {"seed": 3, "realtime": False, "time_s": 60},
        }
        assert http.get("/api/session").json()["phase"] == "idle", "nothing was started"
        started = http.post("/api/session", json=answer["new_shape"])
        assert started.status_code == 201, started.text
        deadline = time.monotonic() + 120
        while http.get("/api/session").json()["phase"] != "idle":
            assert time.monotonic() < deadline, "the session did not finish"
            time.sleep(0.2)
        episodes = http.get("/api/datasets/tester/flat/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success"]


def test_a_flat_0_1_leader_or_policy_body_maps_its_device_fields(live_server: LiveServer) -> None:
    leader = {
        "repo_id": "tester/leader",
        "device": "so101_leader",
        "device_port": "/dev/ttyACM0",
        "device_calibration": "/tmp/leader.json",
    }
    policy = {
        "repo_id": "tester/policy",
        "device": "policy",
        "policy_url": "ws://127.0.0.1:8765",
        "policy": {"takeover": "none", "prefetch_ticks": 3},
    }
    with live_server.client() as http:
        answer = http.post("/api/session", json=leader).json()
        assert answer["new_shape"] == {
            "dataset": {"repo_id": "tester/leader"},
            "devices": [
                {
                    "type": "so101_leader",
                    "port": "/dev/ttyACM0",
                    "calibration_path": "/tmp/leader.json",
                }
            ],
        }
        answer = http.post("/api/session", json=policy).json()
        assert answer["new_shape"] == {
            "dataset": {"repo_id": "tester/policy"},
            "policy": {"url": "ws://127.0.0.1:8765", "prefetch_ticks": 3},
            "devices": [],
        }


def test_a_flat_0_1_session_in_a_fleet_body_is_refused_with_its_new_shape(
    live_server: LiveServer,
) -> None:
    fleet = {"workers": 2, "session": {**FLAT_0_1_BODY, "repo_id": "tester/fleet"}}
    with live_server.client() as http:
        refused = http.post("/api/fleet", json=fleet)
        assert refused.status_code == 422, refused.text
        answer = refused.json()
        assert "flat session body of leisaac-dashboard 0.1" in answer["detail"]
        assert answer["new_shape"]["workers"] == 2
        assert answer["new_shape"]["session"]["dataset"] == {"repo_id": "tester/fleet"}
        assert answer["new_shape"]["session"]["devices"] == [{"type": "scripted"}]
        assert http.get("/api/fleet").json()["state"] == "idle", "nothing was started"
    # The new shape is a valid fleet request (running it needs Ray: tests/fleet).
    config = FleetConfig.model_validate(answer["new_shape"])
    assert config.session.env.task == "so101_lift_cube" and config.first_seed == 3
    assert config.session.dataset.repo_id == "tester/fleet" and config.workers == 2


def test_a_nested_body_with_a_mistake_gets_the_plain_422(live_server: LiveServer) -> None:
    body = {"dataset": {"repo_id": "tester/x"}, "env": {"fps": 0}}
    with live_server.client() as http:
        answer = http.post("/api/session", json=body).json()
        assert "new_shape" not in answer and answer["detail"][0]["loc"][-1] == "fps"
