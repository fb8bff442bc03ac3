"""Event history in a long session (issue 29): the engine keeps the recent events in memory
(counted with the garbage collector's accounting), and the page reads older ones back from
the session's event log over REST, a page at a time, down to the first."""

from __future__ import annotations

import gc
from pathlib import Path

from leisaac_core.session.engine import SessionEngine
from leisaac_core.session.event_log import EVENTS_KEPT
from leisaac_core.session.state import Event, EventKind
from tests.support.live_server import LiveServer

EPISODE_EVENTS = (EventKind.RECORDING_STARTED, EventKind.EPISODE_SAVED, EventKind.RESET_STARTED)


def emit_episodes(engine: SessionEngine, episodes: int) -> None:
    """What the runner emits per episode, through the engine's own outlet."""
    for episode in range(episodes):
        for kind in EPISODE_EVENTS:
            engine.emit(kind, f"episode {episode}: {kind}", episode_index=episode)


def events_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Event))


def test_events_kept_in_memory_stay_bounded(tmp_path: Path) -> None:
    engine = SessionEngine(tmp_path / "datasets")
    before = events_alive()
    emit_episodes(engine, 300)
    after_300 = events_alive()
    emit_episodes(engine, 700)
    assert events_alive() - before == after_300 - before == EVENTS_KEPT
    assert [e.seq for e in engine.events_since(0)] == list(range(2501, 3001))
    older = engine.event_log.page(before=11, limit=4)
    assert [(e.seq, e.kind, e.data) for e in older] == [
        (7, EventKind.RECORDING_STARTED, {"episode_index": 2}),
        (8, EventKind.EPISODE_SAVED, {"episode_index": 2}),
        (9, EventKind.RESET_STARTED, {"episode_index": 2}),
        (10, EventKind.RECORDING_STARTED, {"episode_index": 3}),
    ]


def test_the_page_reads_older_events_back_from_the_log(live_server: LiveServer) -> None:
    engine: SessionEngine = live_server.app.state.engine
    emit_episodes(engine, 400)  # 1,200 events: 700 only on disk
    seqs: list[int] = []
    with live_server.client() as http:
        params: dict[str, int] = {"limit": 500}
        while True:
            page = http.get("/api/session/events/page", params=params).json()
            seqs = [e["seq"] for e in page["items"]] + seqs
            if page["older"] is None:
                break
            params["before"] = page["older"]
        assert http.get("/api/session/events/page", params={"limit": 0}).status_code == 422
        first = http.get("/api/session/events/page", params={"before": 2, "limit": 5}).json()
    assert seqs == list(range(1, 1201))
    assert first == {
        "items": [
            {
                "seq": 1,
                "kind": "recording_started",
                "message": "episode 0: recording_started",
                "time": first["items"][0]["time"],
                "data": {"episode_index": 0},
            }
        ],
        "older": None,
    }
