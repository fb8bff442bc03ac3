"""A real uvicorn server on a loopback port (create_app with real MuJoCo and the real writer),
run in a thread of the test process."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from leisaac_core.config import Settings
from server.app import create_app


@dataclass
class LiveServer:
    """A real server on a fixed loopback port; it can be stopped and started again there
    (a server restart, as the page's reconnect test needs)."""

    url: str
    port: int
    settings: Settings
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def app(self) -> Any:
        assert self.server is not None
        return self.server.config.app

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def start(self) -> LiveServer:
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ssl_certfile=self.settings.ssl_certfile,
            ssl_keyfile=self.settings.ssl_keyfile,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=60)
            assert not self.thread.is_alive(), "uvicorn did not stop within 60 s"
        self.server = self.thread = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_server(root: Path, **overrides: object) -> LiveServer:
    """A server (not started) for a dataset root, on a free port."""
    port = free_port()
    settings = Settings(dataset_root=root, port=port, preview_hz=15, **overrides)
    return LiveServer(f"http://127.0.0.1:{port}", port, settings)


def start_server(settings: Settings) -> LiveServer:
    port = settings.port or free_port()
    settings = settings.model_copy(update={"port": port})
    return LiveServer(f"http://127.0.0.1:{port}", port, settings).start()


def make_settings(root: Path, **overrides: object) -> Settings:
    return Settings(dataset_root=root, port=0, preview_hz=15, **overrides)


# A quick session: the scripted demonstrator on the lift-cube task at a small camera size.
_QUICK_SECTIONS: dict[str, Any] = {
    "env": {"task": "so101_lift_cube", "camera_width": 96, "camera_height": 64},
    "devices": [{"type": "scripted"}],
    "episode": {"seed": 3, "realtime": False},
}


def session_body(repo_id: str, episodes: int = 2, **sections: Any) -> dict[str, Any]:
    """A POST /api/session body: the quick session recording into `repo_id`.

    Each keyword is a section of the body: a dict is merged over the quick one (env=...,
    dataset=..., episode=..., policy=...), anything else replaces it (devices=[...],
    mode="evaluate"). A policy without `devices` leaves them to the server's default (the
    keyboard takes over), as a body that only asks for a policy does.
    """
    body: dict[str, Any] = {
        "episodes": episodes,
        **copy.deepcopy(_QUICK_SECTIONS),
        "dataset": {"repo_id": repo_id},
    }
    if sections.get("policy") is not None and "devices" not in sections:
        del body["devices"]
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(body.get(name), dict):
            body[name] = {**body[name], **value}
        else:
            body[name] = value
    return body


def collect_until(
    ws: Any, done_kinds: set[str], timeout: float = 240
) -> tuple[list[dict], list[dict], list[bytes]]:
    """Read the socket until an event of one of `done_kinds` arrives."""
    events: list[dict] = []
    statuses: list[dict] = []
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(message, bytes):
            frames.append(message)
            continue
        data = json.loads(message)
        if data["type"] == "event":
            events.append(data)
            if data["kind"] in done_kinds:
                return events, statuses, frames
        elif data["type"] == "status":
            statuses.append(data)
    raise AssertionError(
        f"no {done_kinds} event within {timeout} s; got {[e['kind'] for e in events]}"
    )
