"""Review before keeping over REST: saved episodes wait in `pending_review`; discard deletes
one while the session goes on (and one more is recorded), keep keeps it. The last episode is
offered too: the session waits (phase `reviewing`) until none is pending, a discard there
records one more, and one left unreviewed when the operator stops is kept (the default
decision). Real server, MuJoCo, the scripted demonstrator, the writer."""

from __future__ import annotations

import time

import httpx
from websockets.sync.client import connect

from leisaac_core.dataset import load_episodes
from tests.support.live_server import LiveServer, collect_until, session_body


def test_keep_discard_and_default_keep(live_server: LiveServer) -> None:
    body = session_body(
        "tester/review",
        episodes=2,
        episode={"review": True, "realtime": True, "reset_time_s": 2},
    )
    with connect(live_server.ws_url) as ws, live_server.client() as http:
        ws.recv(timeout=10)
        assert http.post("/api/session", json=body).status_code == 201
        collect_until(ws, {"episode_saved"}, timeout=120)
        assert _pending(http) == [0]
        wrong = http.post("/api/session/review/5/keep")
        assert wrong.status_code == 409 and "not awaiting review" in wrong.text
        assert http.post("/api/session/review/0/discard").status_code == 200
        events, _, _ = collect_until(ws, {"episode_discarded_after_review"}, timeout=30)
        assert "one more will be recorded" in events[-1]["message"]

        collect_until(ws, {"episode_saved"}, timeout=120)
        assert _pending(http) == [0]
        assert http.post("/api/session/review/0/keep").status_code == 200
        collect_until(ws, {"episode_kept"}, timeout=30)

        # The target is reached with the last episode (seed 5): it is offered for review
        # and the session waits for the decision (issue 23 point 6).
        _collect_all(ws, {"review_waiting", "episode_saved"})
        assert _pending(http) == [1]
        snapshot = http.get("/api/session").json()
        assert snapshot["phase"] == "reviewing" and snapshot["episodes_saved"] == 2
        assert snapshot["episode_number"] == 2, "the last episode's number, not one past it"
        assert http.post("/api/session/review/1/discard").status_code == 200
        kinds = _collect_all(ws, {"episode_started", "review_waiting", "episode_saved"})
        assert kinds.index("episode_discarded_after_review") < kinds.index("episode_started")
        assert _pending(http) == [1]  # one more was recorded (seed 6), and waits in turn
        assert http.get("/api/session").json()["phase"] == "reviewing"
        assert http.post("/api/session/stop").status_code == 200
        collect_until(ws, {"session_stopped"}, timeout=60)
    seeds = [e.seed for e in load_episodes(live_server.settings.dataset_root / "tester/review")]
    assert seeds == [4, 6], "the discarded ones (seeds 3, 5) are gone; the unreviewed one is kept"


def _collect_all(ws: object, kinds: set[str], timeout: float = 120) -> list[str]:
    """Event kinds read until each of `kinds` has come (the writer's thread and the loop
    emit concurrently, so their order is not fixed)."""
    seen: list[str] = []
    while not kinds <= set(seen):
        events, _, _ = collect_until(ws, kinds - set(seen), timeout=timeout)
        seen += [e["kind"] for e in events]
    return seen


def _pending(http: httpx.Client) -> list[int]:
    """The snapshot's pending list once it shows the save (published on the next tick)."""
    for _ in range(50):
        pending = http.get("/api/session").json()["pending_review"]
        if pending:
            return pending
        time.sleep(0.1)
    return []
