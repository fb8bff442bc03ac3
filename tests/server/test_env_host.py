"""The sim in an env host process (`env.hosted: true`) behind a real server: the host is
killed with SIGKILL mid-episode; the episode fails with a clear event, the server stays up,
the saved episode is intact, `reset` starts a new host, and a new session works after it.
Real parts: uvicorn on loopback, a websockets client, MuJoCo in a child process, the writer."""

from __future__ import annotations

import os
import signal
import time

import psutil
from websockets.sync.client import connect

from tests.support.live_server import LiveServer, collect_until

HOST_MODULE = "leisaac_core.sim.host.child"


def _hosts() -> list[psutil.Process]:
    """Env host processes started by this test process."""
    return [
        p for p in psutil.Process().children(recursive=True) if HOST_MODULE in " ".join(p.cmdline())
    ]


def _thumbnail(ws: object, timeout: float = 15) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.recv(timeout=timeout)  # type: ignore[attr-defined]
        if isinstance(message, bytes):
            return message
    return b""


def _session(
    repo_id: str, episodes: int = 2, env: dict | None = None, resume: bool = False
) -> dict[str, object]:
    return {
        "episodes": episodes,
        "env": {
            "task": "so101_pick_orange",
            "hosted": True,
            "camera_width": 64,
            "camera_height": 48,
            **(env or {}),
        },
        # The keyboard holds the arm still; episodes end by the operator's word.
        "devices": [{"type": "keyboard"}],
        "dataset": {"repo_id": repo_id, "resume": resume},
        "episode": {"time_s": 300},
    }


def test_killed_env_host_ends_the_episode_in_error_and_reset_starts_a_new_one(
    live_server: LiveServer,
) -> None:
    with connect(live_server.ws_url) as ws, live_server.client() as http:
        ws.recv(timeout=10)
        response = http.post("/api/session", json=_session("op/hosted"))
        assert response.status_code == 201, response.text
        collect_until(ws, {"recording_started"}, timeout=60)
        (host,) = _hosts()
        assert host.pid != os.getpid()
        assert _thumbnail(ws), "the preview sends thumbnails of the hosted env's frames"
        assert http.post("/api/session/success").status_code == 200
        collect_until(ws, {"episode_saved"}, timeout=60)
        collect_until(ws, {"recording_started"}, timeout=60)

        os.kill(host.pid, signal.SIGKILL)
        events, _, _ = collect_until(ws, {"session_error"}, timeout=30)
        error = [e for e in events if e["kind"] == "episode_error"]  # measured nothing
        assert error, [e["kind"] for e in events]
        assert "env host process" in error[0]["message"]
        assert "SIGKILL" in error[0]["message"]
        assert http.get("/api/health").status_code == 200
        snapshot = http.get("/api/session").json()
        assert snapshot["phase"] == "error" and "reset" in snapshot["message"]
        episodes = http.get("/api/datasets/op/hosted/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success"]
        frames = episodes[0]["length"]
        signals = http.get("/api/datasets/op/hosted/episodes/0/signals").json()
        assert len(signals["state"]) == frames > 0

        assert http.post("/api/session/reset").status_code == 200
        events, _, _ = collect_until(ws, {"recording_started", "session_error"}, timeout=60)
        assert events[-1]["kind"] == "recording_started", [e["message"] for e in events]
        (new_host,) = _hosts()
        assert new_host.pid != host.pid
        assert http.post("/api/session/success").status_code == 200
        collect_until(ws, {"session_finished"}, timeout=60)
        episodes = http.get("/api/datasets/op/hosted/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success", "success"]
        deadline = time.monotonic() + 30
        while _hosts() and time.monotonic() < deadline:  # the finished session closed its host
            time.sleep(0.1)
        assert _hosts() == []

        # A new session into the same dataset: no repair needed, a fresh host, episodes append.
        response = http.post("/api/session", json=_session("op/hosted", resume=True, episodes=1))
        assert response.status_code == 201, response.text
        events, _, _ = collect_until(ws, {"recording_started"}, timeout=60)
        assert not [e for e in events if e["kind"] == "dataset_repaired"]
        assert http.post("/api/session/success").status_code == 200
        collect_until(ws, {"session_finished"}, timeout=60)
        episodes = http.get("/api/datasets/op/hosted/episodes").json()
        assert [e["outcome"] for e in episodes] == ["success"] * 3


def test_isaaclab_refuses_to_run_in_the_server_process(live_server: LiveServer) -> None:
    with live_server.client() as http:
        body = _session("op/isaac", env={"type": "isaaclab", "hosted": False})
        response = http.post("/api/session", json=body)
    assert response.status_code == 422
    assert "own env host process" in response.text
