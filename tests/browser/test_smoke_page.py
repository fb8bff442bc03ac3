"""The page loads, connects live, and shows its controls without errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, screenshot


def test_page_connects_and_shows_idle_state(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    expect(page.locator("#phase")).to_have_text("IDLE")
    expect(page.locator("#f-task option")).not_to_have_count(0)
    expect(page.locator("#btn-success")).to_be_disabled()
    expect(page.locator(".hotkeys")).to_contain_text("Esc")
    screenshot(page, "idle")
