"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server
(real MuJoCo, real dataset writer) on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr

from tests.browser.helpers import LAPTOP, TOKEN, ConsoleLog, LiveServer, make_server

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
    # WebRTC over loopback only (the live-video tests): Chromium gathers 127.0.0.1 and shows
    # its addresses as they are, not as mDNS names (resolving those would multicast).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

pytestmark = pytest.mark.browser


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


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


def _fresh_page(browser: Browser, console: ConsoleLog, width: int, height: int) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    page.set_default_timeout(30_000)
    yield page
    context.close()
    errors = console.unexpected()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)


@pytest.fixture
def page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    """A fresh context (no cookies, empty localStorage). Tests name their server fixture
    before `page`, so the page is closed before its server stops."""
    yield from _fresh_page(browser, console, 1440, 1000)


@pytest.fixture
def laptop_page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    """`page` in a laptop's window (1280x720), where a newcomer first meets the product."""
    yield from _fresh_page(browser, console, *LAPTOP)
