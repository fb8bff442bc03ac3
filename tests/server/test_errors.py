"""Bad input and wrong states get a 4xx with a message saying what to fix; never a 500."""

from __future__ import annotations

import time

import pytest

from tests.support.live_server import LiveServer, session_body


def _wait_idle(http, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while http.get("/api/session").json()["phase"] != "idle":
        assert time.monotonic() < deadline, "session did not finish"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (session_body("../escape"), "repo id"),
        (session_body("a/b/c"), "exactly one '/'"),
        (session_body("/abs/path"), "repo id"),
        (session_body("/etc"), "has no namespace before the '/'"),
        (session_body("my data/pick one"), "has spaces; use '_' or '-'"),
        (session_body("me/..."), "not allowed"),
        (session_body(""), "empty"),
        ({**session_body("me/x"), "dataset": {}}, '"dataset","repo_id"'),
        (session_body("me/x", episodes=0), "episodes"),
        (session_body("me/x", env={"task": "fly_to_mars"}), "unknown task"),
        (
            session_body("me/x", devices=[{"type": "joystick9000"}]),
            "'joystick9000' found using 'type' does not match any of the expected tags: 'scripted'",
        ),
        (
            session_body("me/x", env={"type": "unreal"}),
            "unknown sim backend; choose one of: isaaclab, mujoco",
        ),
        (session_body("me/x", env={"camera_width": 97}), "even"),
        (session_body("me/x", env={"fps": "fast"}), '"fps"]'),
        (session_body("me/x", env={"fps": 0}), '"fps"]'),
        ({**session_body("me/x"), "surprise": 1}, "surprise"),
        (
            session_body("me/x", devices=[{"type": "so101_leader"}]),
            '"so101_leader","port"],"msg":"Field required"',
        ),
        (
            session_body("me/x", devices=[{"type": "scripted"}, {"type": "keyboard"}]),
            "one device drives the arm, got 2",
        ),
        (
            session_body(
                "me/x", policy={"url": "ws://127.0.0.1:1"}, devices=[{"type": "scripted"}]
            ),
            "'scripted' cannot take over from a policy",
        ),
    ],
)
def test_invalid_session_fields_are_422(live_server: LiveServer, body: dict, needle: str) -> None:
    with live_server.client() as http:
        response = http.post("/api/session", json=body)
    assert response.status_code == 422, response.text
    assert needle in response.text


def test_malformed_json_is_422(live_server: LiveServer) -> None:
    with live_server.client() as http:
        response = http.post(
            "/api/session", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        response = http.post("/api/session", json=[1, 2, 3])
        assert response.status_code == 422


def test_root_cannot_be_chosen_over_the_api(live_server: LiveServer) -> None:
    with live_server.client() as http:
        response = http.post("/api/session", json=session_body("me/x", dataset={"root": "/etc"}))
    assert response.status_code == 422
    assert "dataset.root" in response.json()["detail"]


@pytest.mark.parametrize("command", ["stop", "success", "failure", "rerecord", "reset"])
def test_commands_when_idle_are_409(live_server: LiveServer, command: str) -> None:
    with live_server.client() as http:
        response = http.post(f"/api/session/{command}")
    assert response.status_code == 409
    assert "no session is running" in response.json()["detail"]


def test_start_twice_is_409_and_existing_dataset_needs_resume(live_server: LiveServer) -> None:
    body = session_body("me/twice", episodes=1)
    resume = {**body, "dataset": {**body["dataset"], "resume": True}}
    with live_server.client() as http:
        paced = session_body("me/twice", episodes=1, episode={"realtime": True})
        assert http.post("/api/session", json=paced).status_code == 201
        second = http.post("/api/session", json=body)
        assert second.status_code == 409
        assert "already running" in second.json()["detail"]
        _wait_idle(http)
        # The dataset now exists: starting it again without resume changes nothing.
        before = http.get("/api/datasets/me/twice/episodes").json()
        again = http.post("/api/session", json=body)
        assert again.status_code == 409
        # In the API's words (the body's "resume"), and the facts for the page's own words.
        assert '"resume": true' in again.json()["detail"]
        assert "resume=True" not in again.json()["detail"]
        root = live_server.settings.dataset_root / "me" / "twice"
        assert again.json()["exists"] == {"repo_id": "me/twice", "path": str(root)}
        assert http.get("/api/datasets/me/twice/episodes").json() == before
        # With resume it appends.
        resumed = http.post("/api/session", json=resume)
        assert resumed.status_code == 201
        # "Episode N of M" counts this session; the dataset's total is reported beside it.
        assert resumed.json()["episode_number"] == 1
        assert resumed.json()["dataset_episodes"] == len(before)
        _wait_idle(http)
        assert len(http.get("/api/datasets/me/twice/episodes").json()) == len(before) + 1
        # Resuming with other settings: the 409 names the body fields and the values that
        # match the dataset, and lists them for a script (the page names its own controls).
        other = session_body(
            "me/twice",
            episodes=1,
            env={"fps": 15, "camera_width": 64},
            dataset={"resume": True, "video_codec": "av1"},
        )
        refused = http.post("/api/session", json=other)
        assert refused.status_code == 409
        answer = refused.json()
        for needle in ('"env.fps": 30', '"dataset.video_codec": "h264"', '"env.camera_width": 96'):
            assert needle in answer["detail"], answer["detail"]
        uses = {d["setting"]: d["use"] for d in answer["differences"]}
        assert uses == {
            "fps": {"env.fps": 30},
            "camera_size": {"env.camera_width": 96, "env.camera_height": 64},
            "codec": {"dataset.video_codec": "h264"},
        }
        assert http.get("/api/session").json()["phase"] == "idle"


def test_unknown_datasets_and_episodes_are_404(live_server: LiveServer) -> None:
    with live_server.client() as http:
        assert http.get("/api/datasets/nobody/nothing/episodes").status_code == 404
        assert http.delete("/api/datasets/nobody/nothing/episodes/0").status_code == 404
        bad = http.get("/api/datasets/../etc/episodes")
        assert bad.status_code in (404, 422)
        assert http.get("/api/datasets/me/..x/episodes").status_code == 422


def test_unknown_episode_signals_are_404(live_server: LiveServer) -> None:
    with live_server.client() as http:
        body = session_body("me/sig", episodes=1)
        assert http.post("/api/session", json=body).status_code == 201
        _wait_idle(http)
        signals = http.get("/api/datasets/me/sig/episodes/0/signals")
        assert signals.status_code == 200
        assert len(signals.json()["timestamps"]) == len(signals.json()["state"]) > 0
        for index in (1, 99, -1):
            missing = http.get(f"/api/datasets/me/sig/episodes/{index}/signals")
            assert missing.status_code == 404, (index, missing.text)


def test_no_route_answers_500_to_garbage(live_server: LiveServer) -> None:
    """A small sweep of odd requests over every route: 4xx or 2xx, never 5xx."""
    with live_server.client() as http:
        paths: list[str] = []
        spec = http.get("/openapi.json").json()
        for path, methods in spec["paths"].items():
            concrete = (
                path.replace("{namespace}", "x").replace("{name}", "y").replace("{index}", "-1")
            )
            for method in methods:
                for body in (None, b"\xff\xfe", b"{}", b'{"token": 5}'):
                    response = http.request(
                        method.upper(),
                        concrete,
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    assert response.status_code < 500, (method, concrete, body, response.text)
                    paths.append(concrete)
        assert paths, "the OpenAPI document lists routes"
