"""/api/fleet on a real uvicorn server, and the fleet view in headless Chromium, with the
workers on the real two-node Ray cluster."""

from __future__ import annotations

import time
from typing import Any

from leisaac_core.dataset import load_episodes
from tests.browser.helpers import LiveServer


def _body(address: str, repo_id: str, episodes: int) -> dict[str, Any]:
    return {
        "workers": 2,
        "address": address,
        "session": {
            "episodes": episodes,
            "env": {"task": "so101_lift_cube", "camera_width": 32, "camera_height": 24},
            "devices": [{"type": "scripted"}],
            "dataset": {"repo_id": repo_id},
        },
    }


def _wait_done(client: Any, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/api/fleet").json()
        if not status["running"] and status["state"] not in ("idle", "starting"):
            return status
        time.sleep(0.3)
    raise AssertionError(f"the fleet run did not end: {status}")


def test_rest_start_status_stop(ray_cluster: Any, live_server: LiveServer) -> None:
    client = live_server.client()
    assert client.get("/api/fleet").json() == {
        "running": False,
        "state": "idle",
        "workers": [],
        "events": [],
    }
    # Bad input: a 422 that names the field, nothing started.
    bad = client.post("/api/fleet", json={**_body("x", "api/a", 2), "workers": 0})
    assert bad.status_code == 422 and "workers" in bad.text
    rooted = _body(ray_cluster.address, "api/a", 2)
    rooted["session"]["dataset"]["root"] = "/tmp/elsewhere"
    refused = client.post("/api/fleet", json=rooted)
    assert refused.status_code == 422 and "session.dataset.root" in refused.json()["detail"]

    started = client.post("/api/fleet", json=_body(ray_cluster.address, "api/a", 3))
    assert started.status_code == 201, started.text
    again = client.post("/api/fleet", json=_body(ray_cluster.address, "api/b", 3))
    assert again.status_code == 409 and "under way" in again.json()["detail"]
    status = _wait_done(client)
    assert status["state"] == "finished", status
    assert status["episodes_in_dataset"] == 3
    assert len(status["workers"]) == 2
    assert sum(w["episodes_saved"] for w in status["workers"]) == 3
    assert any("saved as episode" in e for e in status["events"])
    root = live_server.settings.dataset_root / "api" / "a"
    assert sorted(e.seed for e in load_episodes(root)) == [0, 1, 2]
    # The dataset exists now: without resume, refused before any worker starts (issue 23).
    exists = client.post("/api/fleet", json=_body(ray_cluster.address, "api/a", 4))
    assert exists.status_code == 409, exists.text
    assert '"session.dataset.resume": true' in exists.json()["detail"]
    assert exists.json()["exists"] == {"repo_id": "api/a", "path": str(root)}

    # Stop: a long run ends as stopped, with what was committed kept.
    client.post("/api/fleet", json=_body(ray_cluster.address, "api/long", 200))
    # A live thumbnail of a chosen worker (its newest camera frame) while it runs. Which
    # worker records first depends on scheduling, and a worker answers 204 until it has a
    # frame (or while it is too busy to answer in time): wait for worker-1's first saved
    # episode, then for its picture.
    deadline = time.monotonic() + 120
    while not any(
        w["name"] == "worker-1" and w["episodes_saved"] >= 1
        for w in client.get("/api/fleet").json()["workers"]
    ):
        assert time.monotonic() < deadline, client.get("/api/fleet").json()
        time.sleep(0.3)
    while (thumb := client.get("/api/fleet/workers/worker-1/thumbnail")).status_code == 204:
        assert time.monotonic() < deadline, "worker-1 never had a frame to show"
        time.sleep(0.3)
    assert thumb.status_code == 200, thumb.text
    assert thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    missing = client.get("/api/fleet/workers/worker-7/thumbnail")
    assert missing.status_code == 404 and "worker-2" in missing.json()["detail"]
    # One recorder at a time (issue 23): no session and no replay while the fleet records.
    session = {"task": "so101_lift_cube", "device": "scripted", "repo_id": "api/session"}
    refused = client.post("/api/session", json=session)
    assert refused.status_code == 409, refused.text
    assert "a fleet run is recording" in refused.json()["detail"]
    assert client.get("/api/session").json()["phase"] == "idle"
    replay = client.post("/api/datasets/api/a/episodes/0/replay")
    assert replay.status_code == 409 and "fleet run" in replay.json()["detail"]
    assert client.post("/api/fleet/stop").status_code == 200
    status = _wait_done(client)
    assert status["state"] == "stopped"
    kept = load_episodes(live_server.settings.dataset_root / "api" / "long")
    assert len(kept) == status["episodes_in_dataset"] >= 1
    assert client.post("/api/fleet/stop").status_code == 409
