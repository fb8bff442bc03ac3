"""Shared pieces of the browser tests: screenshots, form filling, console errors (the live
server itself is tests/support/live_server.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page

from tests.support.live_server import LiveServer, make_server

__all__ = ["LiveServer", "make_server"]

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
TOKEN = "browser-test-token"
LAPTOP = (1280, 720)
WIDE = (1920, 1080)
# Small cameras keep MuJoCo rendering and encoding cheap on a shared 2-core machine.
CAMERA_W, CAMERA_H = 128, 96


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_ready(page: Page) -> None:
    """Every initial request answered and the socket's hello handled."""
    page.wait_for_function("window.leisaac && window.leisaac.ready")
    page.wait_for_function("window.leisaac.live.updates > 0")


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
