"""POST /api/datasets/merge on a real server: merges, and answers bad requests with a 4xx
that says what to fix (nothing is written then)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "dataset"))

from dataset_helpers import FAST_VIDEO, H, W, make_spec, record_episode  # noqa: E402

from leisaac_core.dataset import DatasetWriter, dataset_dir  # noqa: E402
from leisaac_core.sim.base import CameraSpec  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402


def build(base: Path, repo_id: str, lengths: list[int], **spec_kw) -> None:
    root = dataset_dir(base, repo_id)
    with DatasetWriter.open(root, make_spec(repo_id, **spec_kw), video=FAST_VIDEO) as w:
        for k, n in enumerate(lengths):
            record_episode(w, n, tag=k).result(60)


def test_merge_route(live_server: LiveServer) -> None:
    base = live_server.settings.dataset_root
    build(base, "me/a", [3, 4])
    build(base, "me/b", [5])
    build(base, "me/odd", [3], cameras=(CameraSpec("front", H, W),))
    with live_server.client() as http:
        made = http.post("/api/datasets/merge", json={"sources": ["me/a", "me/b"], "into": "me/ab"})
        assert made.status_code == 201, made.text
        assert made.json() == {
            "repo_id": "me/ab",
            "sources": ["me/a", "me/b"],
            "episodes": 3,
            "frames": 12,
            "tasks": 1,
        }
        episodes = http.get("/api/datasets/me/ab/episodes").json()
        assert [e["length"] for e in episodes] == [3, 4, 5]
        page = http.get("/api/datasets/me/ab/episodes", params={"offset": 1, "limit": 1}).json()
        assert [e["index"] for e in page] == [1]

        again = http.post(
            "/api/datasets/merge", json={"sources": ["me/a", "me/b"], "into": "me/ab"}
        )
        assert again.status_code == 409 and "already exists" in again.json()["detail"]
        odd = http.post("/api/datasets/merge", json={"sources": ["me/a", "me/odd"], "into": "me/x"})
        assert odd.status_code == 422
        assert "observation.images.wrist only in me/a" in odd.json()["detail"]
        missing = http.post(
            "/api/datasets/merge", json={"sources": ["me/a", "me/nope"], "into": "me/y"}
        )
        assert missing.status_code == 404 and "me/nope" in missing.json()["detail"]
        bad = http.post("/api/datasets/merge", json={"sources": ["me/a", "../x"], "into": "me/z"})
        assert bad.status_code == 422
        one = http.post("/api/datasets/merge", json={"sources": ["me/a"], "into": "me/z"})
        assert one.status_code == 422
    assert not dataset_dir(base, "me/x").exists() and not dataset_dir(base, "me/y").exists()
