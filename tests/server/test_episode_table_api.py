"""The episode table of a large dataset over REST: pages, sorting, outcome and QC filters,
suspect counts; deleting several episodes at once. Real server; datasets that `record`
wrote (the 3,000-episode one is one real episode's metadata copied, see multiply_episodes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leisaac_core.dataset import load_episodes
from tests.support.live_server import LiveServer, make_settings, start_server
from tests.support.recorded import multiply_episodes, record_dataset

BIG = 3000


@pytest.fixture
def server_root(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path / "datasets"
    multiply_episodes(record_dataset(root, "tester/big"), BIG)
    record_dataset(root, "tester/three", episodes=3)
    server = start_server(make_settings(root))
    yield server, root
    server.stop()


def test_pages_sort_and_filter_a_large_dataset(server_root: tuple[LiveServer, Path]) -> None:
    server, _ = server_root
    with httpx.Client(base_url=server.url, timeout=60) as http:
        url = "/api/datasets/tester/big/episodes/page"
        first = http.get(url).json()
        assert first["total"] == BIG and first["matched"] == BIG
        assert [e["index"] for e in first["items"]] == list(range(50))
        assert first["outcomes"] == {"success": 1800, "failure": 600, "timeout": 600}
        last = http.get(url, params={"offset": BIG - 10, "limit": 100}).json()
        assert [e["index"] for e in last["items"]] == list(range(BIG - 10, BIG))
        assert last["items"][0]["videos"]["front"]["url"].startswith("/api/datasets/tester/big/")

        slowest = http.get(url, params={"sort": "fps_achieved", "limit": 5}).json()["items"]
        assert all(e["fps_achieved"] == 24.0 and e["index"] % 97 == 0 for e in slowest)
        worst_p99 = http.get(url, params={"sort": "period_p99_ms", "order": "desc"}).json()
        p99s = [e["period_p99_ms"] for e in worst_p99["items"]]
        assert p99s == sorted(p99s, reverse=True) and p99s[0] > 74
        dropped = http.get(url, params={"sort": "dropped", "order": "desc", "limit": 3}).json()
        assert all(e["dropped"] > 0 for e in dropped["items"])

        failures = http.get(url, params={"outcome": "failure", "limit": 500}).json()
        assert failures["matched"] == 600
        assert {e["outcome"] for e in failures["items"]} == {"failure"}
        suspect = http.get(url, params={"suspect": True, "limit": 500}).json()
        assert suspect["matched"] == suspect["suspect"] > 0
        assert all(e["qc_flags"] for e in suspect["items"])
        assert suspect["matched"] < BIG

        bad_sort = http.get(url, params={"sort": "colour"})
        assert bad_sort.status_code == 422 and "sort" in bad_sort.text
        assert http.get(url, params={"limit": 5000}).status_code == 422


def test_delete_several_episodes_at_once(server_root: tuple[LiveServer, Path]) -> None:
    server, root = server_root
    with httpx.Client(base_url=server.url, timeout=60) as http:
        url = "/api/datasets/tester/three/episodes/delete"
        refused = http.post(url, json={"indices": [0, 9]})
        assert refused.status_code == 422 and "no episode(s) [9]" in refused.text
        assert len(load_episodes(root / "tester" / "three")) == 3, "nothing deleted"
        assert http.post(url, json={"indices": []}).status_code == 422
        done = http.post(url, json={"indices": [2, 0]})
        assert done.status_code == 200, done.text
        assert done.json() == {"deleted": [0, 2], "episodes": 1}
        left = load_episodes(root / "tester" / "three")
        assert [e.index for e in left] == [0] and left[0].seed == 4  # the middle one, renumbered
