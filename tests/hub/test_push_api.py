"""Pushing from the dashboard's REST routes (and auto-push during a session) to the loopback
Hub-compatible server; progress and results arrive as events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hub.conftest import READ_TOKEN, WRITE_TOKEN
from tests.support.fake_hub import FakeHub
from tests.support.live_server import LiveServer, make_settings, session_body, start_server


@pytest.fixture
def server(tmp_path: Path, hub: FakeHub) -> Iterator[LiveServer]:
    live = start_server(make_settings(tmp_path / "datasets", hub_endpoint=hub.endpoint))
    yield live
    live.stop()


def _wait_idle(http: httpx.Client) -> None:
    deadline = time.monotonic() + 180
    while http.get("/api/session").json()["phase"] != "idle":
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _wait_push(http: httpx.Client) -> dict:
    deadline = time.monotonic() + 120
    while (status := http.get("/api/push").json())["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return status


def _events(http: httpx.Client, kind: str) -> list[dict]:
    return [e for e in http.get("/api/session/events").json() if e["kind"] == kind]


def test_push_from_the_page_with_a_token_entered_there(server: LiveServer, hub: FakeHub) -> None:
    with server.client() as http:
        assert (
            http.post("/api/session", json=session_body("alice/lift", episodes=1)).status_code
            == 201
        )
        _wait_idle(http)
        # No token anywhere yet: a clear 400 before anything starts.
        refused = http.post("/api/datasets/alice/lift/push", json={})
        assert refused.status_code == 400 and "token" in refused.json()["detail"]
        assert http.get("/api/hub/token").json() == {"configured": False, "source": None}
        assert http.put("/api/hub/token", json={"token": WRITE_TOKEN}).json()["configured"] is True
        assert WRITE_TOKEN not in http.get("/api/hub/token").text

        started = http.post(
            "/api/datasets/alice/lift/push", json={"private": True, "tags": ["so101", "sim"]}
        )
        assert started.status_code == 202, started.text
        status = _wait_push(http)
        assert status["result"]["url"].endswith("/datasets/alice/lift")
        assert status["result"]["files_uploaded"] > 0
        progress = _events(http, "push_progress")
        assert (
            progress and progress[-1]["data"]["files_done"] == progress[-1]["data"]["files_total"]
        )
        assert _events(http, "push_finished")

        repo = hub.repo("alice/lift")
        assert repo.private
        assert "v3.0" in repo.tags
        files = hub.files_at("alice/lift", "v3.0")
        assert "meta/info.json" in files and any(p.startswith("videos/") for p in files)
        for text in (http.get("/api/push").text, http.get("/api/session/events").text):
            assert WRITE_TOKEN not in text

        # A second push while nothing changed uploads nothing new.
        again = {"private": True, "tags": ["so101", "sim"]}
        assert http.post("/api/datasets/alice/lift/push", json=again).status_code == 202
        assert _wait_push(http)["result"]["files_uploaded"] == 0


def test_push_errors_are_clear(server: LiveServer, hub: FakeHub) -> None:
    with server.client() as http:
        assert (
            http.post("/api/session", json=session_body("alice/ro", episodes=1)).status_code == 201
        )
        _wait_idle(http)
        assert http.post("/api/datasets/nobody/none/push", json={}).status_code == 404
        assert http.post("/api/datasets/alice/ro/push", json={"repo_id": "../x"}).status_code == 422
        assert (
            http.post("/api/datasets/alice/ro/push", json={"tags": ["no spaces"]}).status_code
            == 422
        )
        http.put("/api/hub/token", json={"token": READ_TOKEN})
        assert http.post("/api/datasets/alice/ro/push", json={}).status_code == 202
        status = _wait_push(http)
        assert "error" in status and "write" in status["error"].lower()
        failed = _events(http, "push_failed")
        assert failed and READ_TOKEN not in failed[-1]["message"]


def test_auto_push_every_episode_during_a_session(server: LiveServer, hub: FakeHub) -> None:
    with server.client() as http:
        http.put("/api/hub/token", json={"token": WRITE_TOKEN})
        body = session_body("alice/auto", episodes=2, dataset={"push_every_episodes": 1})
        assert http.post("/api/session", json=body).status_code == 201
        _wait_idle(http)
        deadline = time.monotonic() + 120
        while len(_events(http, "push_finished")) < 1:
            assert time.monotonic() < deadline, _events(http, "push_failed")
            time.sleep(0.2)
    assert "meta/info.json" in hub.files_at("alice/auto", "v3.0")
