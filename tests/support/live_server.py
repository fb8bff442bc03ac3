"""A real uvicorn server on a loopback port (create_app with real MuJoCo and the real writer),
run in a thread of the test process."""

from __future__ import annotations

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
    url: str
    ws_url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings: Settings) -> LiveServer:
    port = settings.port or free_port()
    settings = settings.model_copy(update={"port": port})
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return LiveServer(
        f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", settings, server, thread
    )


def make_settings(root: Path, **overrides: object) -> Settings:
    return Settings(dataset_root=root, port=0, preview_hz=15, **overrides)


# A quick session: the scripted demonstrator on the lift-cube task at a small camera size.
QUICK_SESSION = {
    "task": "so101_lift_cube",
    "device": "scripted",
    "episodes": 2,
    "camera_width": 96,
    "camera_height": 64,
    "seed": 3,
    "realtime": False,
}


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
