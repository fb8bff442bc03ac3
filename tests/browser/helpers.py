"""Shared pieces of the browser tests: a live uvicorn server, screenshots, form filling."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from playwright.sync_api import ConsoleMessage, Page

from leisaac_core.config import Settings
from server.app import create_app

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
TOKEN = "browser-test-token"
# Small cameras keep MuJoCo rendering and encoding cheap on a shared 2-core machine.
CAMERA_W, CAMERA_H = 128, 96


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A real server on a fixed loopback port; it can be stopped and started again there."""

    url: str
    port: int
    settings: Settings
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        config = uvicorn.Config(
            create_app(self.settings), host="127.0.0.1", port=self.port, log_level="warning"
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


def make_server(root: Path, **overrides: object) -> LiveServer:
    port = free_port()
    settings = Settings(dataset_root=root, port=port, preview_hz=15, **overrides)
    return LiveServer(f"http://127.0.0.1:{port}", port, settings)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_start_form(page: Page, repo_id: str, episodes: int = 1) -> None:
    """A quick scripted session: lift the cube, small cameras, paced in real time."""
    page.select_option("#f-task", "so101_lift_cube")
    page.select_option("#f-device", "scripted")
    page.fill("#f-repo", repo_id)
    page.fill("#f-episodes", str(episodes))
    page.fill("#f-reset-time", "0")
    if not page.locator("#f-cam-w").is_visible():
        page.click(".advanced summary")
    page.fill("#f-cam-w", str(CAMERA_W))
    page.fill("#f-cam-h", str(CAMERA_H))
    page.fill("#f-seed", "3")
    page.select_option("#f-realtime", "true")


@dataclass
class ConsoleLog:
    """Console errors and uncaught page errors; tests fail on any that are not allowed."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {message.location.get('url', '')}")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"page error: {error}")

    def allow(self, pattern: str) -> None:
        """Errors the browser itself logs on purpose in a test (a refused connection while
        the server is down, a 401 for a wrong token)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]
