"""The server goes away and comes back on the same port: the page says it is unreachable,
then reconnects by itself and shows live state again."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import ConsoleLog, LiveServer, screenshot


def test_page_reconnects_after_server_restart(
    live_server: LiveServer, page: Page, console: ConsoleLog
) -> None:
    # While the server is down Chromium logs each refused connection attempt itself.
    console.allow(r"WebSocket connection to .* failed")
    console.allow(r"ERR_CONNECTION_REFUSED")

    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    page.wait_for_function("window.leisaac.ready === true")
    assert page.evaluate("window.leisaac.socket.attempt") == 0

    live_server.stop()
    banner = page.locator('[data-banner="offline"]')
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("Server unreachable")
    expect(page.locator("#conn")).to_have_text("offline")
    expect(page.locator('#health tr[data-key="preview"] .chip')).to_have_text("Stalled")
    screenshot(page, "reconnect-offline")
    # Let it fail a few times so the backoff grows, then bring the server back.
    page.wait_for_function("window.leisaac.socket.attempt >= 3", timeout=30_000)

    live_server.start()
    expect(page.locator("#conn")).to_have_text("live", timeout=30_000)
    expect(banner).to_have_count(0)
    expect(page.locator("#phase")).to_have_text("IDLE")
    # The fresh server's status stream is flowing again.
    updates = page.evaluate("window.leisaac.live.updates")
    page.wait_for_function(f"window.leisaac.live.updates > {updates + 5}")
    screenshot(page, "reconnect-back")
