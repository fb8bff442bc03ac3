"""A fed session (session/feed.py): one real MuJoCo session records the seeds it is given, in
order, keeps going past its episode count until the feed closes, and delivers each saved
episode as bytes instead of committing it."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pyarrow.parquet as pq

from leisaac_core.dataset import DeliveredEpisode, layout
from leisaac_core.session import Event, SessionConfig, SessionEngine
from leisaac_core.session.feed import SeedEnding, SeedFeed


def test_fed_session_records_given_seeds_and_delivers_them(tmp_path: Path) -> None:
    endings: list[SeedEnding] = []
    delivered: list[DeliveredEpisode] = []
    feed = SeedFeed(on_ended=endings.append, on_delivered=delivered.append)
    engine = SessionEngine(tmp_path, feed=feed)
    finished = threading.Event()
    last: list[Event] = []

    def on_event(event: Event) -> None:
        if event.kind in ("session_finished", "session_stopped"):
            last.append(event)
            finished.set()

    engine.add_listener(on_event)
    engine.start()
    scratch = tmp_path / "scratch"
    config = SessionConfig(
        episodes=1,  # a fed session ends when its feed closes, not at its count
        env={"task": "so101_lift_cube", "camera_width": 32, "camera_height": 24},
        devices=[{"type": "scripted"}],
        dataset={"repo_id": "fed/session", "root": scratch},
    )
    try:
        engine.submit("start", config).result(timeout=120)
        for seed in (7, 3, 9):
            feed.put(seed)
        feed.close()
        assert finished.wait(timeout=120), "the session did not end when its feed closed"
    finally:
        engine.shutdown()
    assert last[0].kind == "session_finished" and last[0].data["episodes_saved"] == 3
    assert [(e.seed, e.outcome) for e in endings] == [
        (7, "success"),
        (3, "success"),
        (9, "success"),
    ]
    assert [d.row["seed"] for d in delivered] == [7, 3, 9], "delivered in the feed's order"
    for episode in delivered:
        frames = pq.read_table(io.BytesIO(episode.frames))
        assert frames.num_rows == episode.row["length"] > 0
        assert episode.info["fps"] == 30 and episode.task
        assert episode.videos and all(v[4:8] == b"ftyp" for v in episode.videos.values())
    assert not layout.is_dataset(scratch), "nothing is committed into the session's dataset"
