"""Robot identity over REST: `identity` in the session body decides the dataset's
robot_type, an unknown one is a 422 naming the choices, and a resume of the other identity
is a 409 whose differences say which `identity` matches the dataset."""

from __future__ import annotations

import json
import time

from leisaac_core.dataset import dataset_dir
from tests.support.live_server import LiveServer, session_body


def _wait_idle(http, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http.get("/api/session").json()["phase"] in ("idle", "error"):
            return
        time.sleep(0.1)
    raise AssertionError("session did not end")


def test_identity_is_a_session_field_checked_on_resume(live_server: LiveServer) -> None:
    body = session_body("me/ident", episodes=1, dataset={"identity": "leisaac"})
    with live_server.client() as http:
        bad_body = session_body("me/ident", episodes=1, dataset={"identity": "so100"})
        bad = http.post("/api/session", json=bad_body)
        assert bad.status_code == 422
        assert "lerobot" in json.dumps(bad.json()) and "leisaac" in json.dumps(bad.json())
        assert http.post("/api/session", json=body).status_code == 201
        _wait_idle(http)
        info = dataset_dir(live_server.settings.dataset_root, "me/ident") / "meta" / "info.json"
        assert json.loads(info.read_text())["robot_type"] == "so101_follower"
        default = session_body("me/ident", episodes=1, dataset={"resume": True})
        refused = http.post("/api/session", json=default)
        assert refused.status_code == 409
        answer = refused.json()
        assert '"dataset.identity": "leisaac"' in answer["detail"], answer["detail"]
        assert [(d["setting"], d["use"]) for d in answer["differences"]] == [
            ("identity", {"dataset.identity": "leisaac"})
        ]
