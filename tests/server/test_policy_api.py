"""Policy sessions over REST against a live server and a loopback expert policy server: who
may name the policy server, evaluation mode, and a dead or bad server: its episodes are
`error`s (they measured nothing), never failures, and a recording stops for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from websockets.sync.client import connect

from leisaac_core.policy.expert import ExpertPolicy
from leisaac_core.policy.server import PolicyServer
from tests.support.live_server import (
    collect_until,
    free_port,
    make_settings,
    session_body,
    start_server,
)


def policy_body(repo_id: str, url: str | None = None, **sections: object) -> dict:
    """The quick session driven by a policy (at `url`, or the server's own), small cameras."""
    policy = {"url": url} if url else {}
    env = {"camera_width": 32, "camera_height": 24}
    return session_body(repo_id, env=env, policy=policy, **sections)


@pytest.fixture
def expert():
    server = PolicyServer(lambda: ExpertPolicy(chunk_size=10), port=0).start()
    yield server
    server.stop()


def test_unauthenticated_request_cannot_name_a_policy_server(tmp_path: Path, expert) -> None:
    server = start_server(make_settings(tmp_path / "datasets"))
    try:
        with server.client() as http:
            body = policy_body("p/x", expert.url)
            refused = http.post("/api/session", json=body)
            assert refused.status_code == 403, refused.text
            assert "LEISAAC_POLICY_URLS" in refused.json()["detail"]
            missing = http.post("/api/session", json=policy_body("p/x"))
            assert missing.status_code == 422 and "policy.url" in missing.text
            assert http.get("/api/session").json()["phase"] == "idle"
    finally:
        server.stop()


def test_unauthenticated_request_cannot_name_the_python_a_checkpoint_runs_in(
    tmp_path: Path,
) -> None:
    """A checkpoint is served by a program this server runs: without a token, only in its
    configured lerobot Python. Refused before anything starts."""
    configured = tmp_path / "lerobot" / "bin" / "python"
    server = start_server(make_settings(tmp_path / "datasets", policy_python=configured))
    try:
        with server.client() as http:
            policy = {"type": "checkpoint", "path": str(tmp_path), "python": "/usr/bin/python3"}
            refused = http.post("/api/session", json=session_body("p/py", policy=policy))
            assert refused.status_code == 403, refused.text
            assert "LEISAAC_POLICY_PYTHON" in refused.json()["detail"]
            # The configured one is allowed; it is missing here, which the start says.
            policy = {"type": "checkpoint", "path": str(tmp_path)}
            missing = http.post("/api/session", json=session_body("p/py", policy=policy))
            assert missing.status_code == 409, missing.text
            assert (
                f"the lerobot environment's Python {configured} does not exist"
                in (missing.json()["detail"])
            )
            unknown = http.post("/api/session", json=session_body("p/py", policy={"type": "x"}))
            assert unknown.status_code == 422 and "choose one of: checkpoint, server" in (
                unknown.text
            )
            assert http.get("/api/session").json()["phase"] == "idle"
    finally:
        server.stop()


def test_authenticated_request_may_name_a_policy_server(tmp_path: Path, expert) -> None:
    settings = make_settings(tmp_path / "datasets", token=SecretStr("tok"))
    server = start_server(settings)
    try:
        with server.client("tok") as http:
            body = policy_body("p/auth", expert.url)
            started = http.post("/api/session", json=body)
            assert started.status_code == 201, started.text
            http.post("/api/session/stop")
    finally:
        server.stop()


def test_evaluation_mode_over_rest_reports_the_success_rate(tmp_path: Path, expert) -> None:
    # The server's own configuration names the policy server; the request names none.
    server = start_server(make_settings(tmp_path / "datasets", policy_url=expert.url))
    try:
        with connect(server.ws_url) as ws, server.client() as http:
            ws.recv(timeout=10)
            body = policy_body("p/eval", mode="evaluate", episode={"seed": 0})
            started = http.post("/api/session", json=body)
            assert started.status_code == 201, started.text
            events, statuses, _ = collect_until(ws, {"session_finished", "session_stopped"})
            kinds = [e["kind"] for e in events]
            assert kinds[-1] == "session_finished"
            [report] = [e for e in events if e["kind"] == "evaluation_report"]
            assert report["data"]["episodes"] == 2 and report["data"]["successes"] == 2
            assert Path(report["data"]["path"]).is_file()
            progress = [e for e in events if e["kind"] == "evaluation_progress"]
            assert [p["data"]["episodes"] for p in progress] == [1, 2]
            live = [s["snapshot"] for s in statuses if s["snapshot"].get("evaluation")]
            assert live and live[-1]["device"] == "policy"
            details = [s["snapshot"]["device_health"].get("details") or {} for s in statuses]
            assert any(d.get("rtt_ms_p50") for d in details), "RTT in the health panel"
    finally:
        server.stop()


def test_dead_policy_server_stops_the_recording_and_reset_recovers(tmp_path: Path) -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}"
    server = start_server(make_settings(tmp_path / "datasets", policy_urls=[url]))
    policy = None
    try:
        with connect(server.ws_url) as ws, server.client() as http:
            ws.recv(timeout=10)
            body = policy_body("p/dead", url, episodes=1, dataset={"keep_failures": True})
            assert http.post("/api/session", json=body).status_code == 201
            events, _, _ = collect_until(ws, {"session_error"}, timeout=60)
            [error] = [e for e in events if e["kind"] == "episode_error"]
            assert url in error["message"] and "cannot connect" in error["message"]
            assert not [e for e in events if e["kind"] == "episode_failure"]
            snapshot = http.get("/api/session").json()
            assert snapshot["phase"] == "error" and "cannot connect" in snapshot["message"]
            assert (snapshot["episodes_errored"], snapshot["episodes_failed"]) == (1, 0)

            policy = PolicyServer(lambda: ExpertPolicy(chunk_size=10), port=port).start()
            assert http.post("/api/session/reset").status_code == 200
            events, _, _ = collect_until(ws, {"session_finished", "session_stopped"})
            assert "recovered" in [e["kind"] for e in events]
            assert events[-1]["kind"] == "session_finished"
            assert events[-1]["data"]["episodes_saved"] == 1
            # The episode that measured nothing is not kept as a failure.
            failures = http.get("/api/datasets").json()
            assert not [d for d in failures if d["repo_id"] == "p/dead_failures" and d["episodes"]]
    finally:
        server.stop()
        if policy is not None:
            policy.stop()


class NaNPolicy:
    metadata = {"action_dim": 6, "send_images": False}

    def infer(self, observation):
        import numpy as np

        return {"actions": np.full((10, 6), np.nan, np.float32)}


def test_evaluation_goes_on_after_a_bad_policy_and_reports_errors_apart(tmp_path: Path) -> None:
    policy = PolicyServer(NaNPolicy, port=0).start()
    server = start_server(make_settings(tmp_path / "datasets", policy_url=policy.url))
    try:
        with connect(server.ws_url) as ws, server.client() as http:
            ws.recv(timeout=10)
            body = policy_body("p/nan", mode="evaluate")
            assert http.post("/api/session", json=body).status_code == 201
            events, _, _ = collect_until(ws, {"session_finished", "session_stopped"})
            [report] = [e for e in events if e["kind"] == "evaluation_report"]
            assert report["data"]["episodes"] == 2 and report["data"]["errors"] == 2
            assert report["data"]["measured"] == 0 and report["data"]["success_rate"] is None
            errors = [e for e in events if e["kind"] == "episode_error"]
            assert len(errors) == 2 and not [e for e in events if e["kind"] == "episode_failure"]
            assert all(policy.url in e["message"] and "NaN" in e["message"] for e in errors)
            assert events[-1]["kind"] == "session_finished"
            snapshot = http.get("/api/session").json()
            assert snapshot["phase"] == "idle" and snapshot["episodes_errored"] == 2
            assert snapshot["evaluation"]["errors"] == 2
    finally:
        server.stop()
        policy.stop()
