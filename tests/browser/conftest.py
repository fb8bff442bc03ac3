"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server
(real MuJoCo, real dataset writer) on a loopback port."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from pydantic import SecretStr

from leisaac_core.config import Settings
from server.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
TOKEN = "browser-test-token"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
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


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = make_server(tmp_path / "datasets").start()
    yield server
    server.stop()


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = make_server(tmp_path / "datasets", token=SecretStr(TOKEN)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    """A fresh context (no cookies, empty localStorage). Tests name their server fixture
    before `page`, so the page is closed before its server stops."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    page.set_default_timeout(30_000)
    yield page
    context.close()
    errors = console.unexpected()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
