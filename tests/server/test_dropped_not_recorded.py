"""A dataset whose episode rows have no frames_dropped columns (lerobot's writer, or any other
tool) does not record drops: the catalog and the API say null (unknown), never 0. The
dataset is one `record` wrote, with those columns removed, as lerobot would have left it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pyarrow.parquet as pq

from leisaac_core.dataset import layout, load_episodes
from leisaac_core.dataset.tables import DROPPED_PREFIX
from tests.support.live_server import make_settings, start_server
from tests.support.recorded import record_dataset


def _strip_dropped_columns(root: Path) -> None:
    for path in layout.episodes_files(root):
        table = pq.read_table(path)
        keep = [name for name in table.column_names if not name.startswith(DROPPED_PREFIX)]
        assert len(keep) < len(table.column_names)
        pq.write_table(table.select(keep), path)


def test_drops_not_recorded_are_null_not_zero(tmp_path: Path) -> None:
    home = tmp_path / "datasets"
    ours = record_dataset(home, "tester/ours", episodes=1)
    theirs = record_dataset(home, "tester/theirs", episodes=2)
    _strip_dropped_columns(theirs)

    assert load_episodes(ours)[0].frames_dropped == {"front": 0, "wrist": 0}
    records = load_episodes(theirs)
    assert [r.frames_dropped for r in records] == [None, None]
    assert not any("dropped" in flag for r in records for flag in r.qc_flags)

    server = start_server(make_settings(home))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            listed = http.get("/api/datasets/tester/theirs/episodes")
            assert listed.status_code == 200, listed.text
            assert [e["frames_dropped"] for e in listed.json()] == [None, None]
            page = http.get("/api/datasets/tester/theirs/episodes/page", params={"sort": "dropped"})
            assert page.status_code == 200, page.text
            assert [(e["dropped"], e["frames_dropped"]) for e in page.json()["items"]] == [
                (None, None),
                (None, None),
            ]
            recorded = http.get("/api/datasets/tester/ours/episodes/page").json()["items"]
            assert [(e["dropped"], e["frames_dropped"]) for e in recorded] == [
                (0, {"front": 0, "wrist": 0})
            ]
    finally:
        server.stop()
