"""POST /api/datasets/{ns}/{name}/episodes/{i}/replay on a real server with a dataset that
`record` wrote: the replay succeeds again, reports the joint-state error and serves the
replayed cameras; bad requests get 4xx with a message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer, make_settings, session_body, start_server
from tests.support.recorded import record_dataset


@pytest.fixture
def server_with_dataset(tmp_path: Path) -> Iterator[LiveServer]:
    root = tmp_path / "datasets"
    record_dataset(root, "tester/replay")
    server = start_server(make_settings(root))
    yield server
    server.stop()


def test_replay_over_rest(server_with_dataset: LiveServer) -> None:
    with httpx.Client(base_url=server_with_dataset.url, timeout=300) as http:
        response = http.post("/api/datasets/tester/replay/episodes/0/replay")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] and body["same_outcome"]
        assert body["recorded_outcome"] == "success" and body["seed"] == 3
        assert body["joint_error_mean"] < 0.5
        assert set(body["videos"]) == {"front", "wrist"}
        video = http.get(body["videos"]["front"])
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        assert len(video.content) > 1000

        # A missing episode is a 404 with the same words from every route (issue 23).
        answers = [
            http.post("/api/datasets/tester/replay/episodes/7/replay"),
            http.get("/api/datasets/tester/replay/episodes/7/signals"),
            http.delete("/api/datasets/tester/replay/episodes/7"),
            http.post("/api/datasets/tester/replay/episodes/-1/replay"),
        ]
        assert [a.status_code for a in answers] == [404, 404, 404, 404], [a.text for a in answers]
        assert {a.json()["detail"] for a in answers[:3]} == {
            "dataset tester/replay has no episode 7 (it has 1: episode 0)"
        }
        no_dataset = http.post("/api/datasets/tester/nothing/episodes/0/replay")
        assert no_dataset.status_code == 404
        no_video = http.get("/api/datasets/tester/replay/episodes/7/replay/front.mp4")
        assert no_video.status_code == 404

        # Its progress, for a script: the finished operation, every frame stepped.
        done = [o for o in http.get("/api/operations").json() if o["kind"] == "replay"]
        assert done[0]["subject"] == "tester/replay#0" and done[0]["state"] == "finished"
        assert done[0]["done"] == done[0]["total"] == body["frames"] > 0
        assert done[0]["unit"] == "frames"


def test_replay_is_refused_while_a_session_runs(server_with_dataset: LiveServer) -> None:
    with httpx.Client(base_url=server_with_dataset.url, timeout=300) as http:
        body = session_body("tester/other", episode={"realtime": True, "time_s": 600})
        assert http.post("/api/session", json=body).status_code == 201
        refused = http.post("/api/datasets/tester/replay/episodes/0/replay")
        assert refused.status_code == 409 and "stop it before replaying" in refused.text
        # Nor a fleet run: one recorder at a time (issue 23); refused before Ray is asked.
        fleet = {"workers": 1, "session": session_body("tester/fleet")}
        fleet_refused = http.post("/api/fleet", json=fleet)
        assert fleet_refused.status_code == 409, fleet_refused.text
        assert fleet_refused.json()["detail"].startswith(
            "a session is recording into tester/other on this server; stop it before"
        )
        assert http.get("/api/fleet").json()["state"] == "idle"
        assert http.post("/api/session/stop").status_code == 200
