"""Every session option on the form reaches the server: codec, kept failures, auto-push."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, fill_start_form


def test_advanced_options_reach_the_session(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "form/options", episodes=1)
    page.select_option("#f-codec", "av1")
    page.check("#f-keep-failures")
    page.fill("#f-episode-time", "0.5")  # far too short: every attempt times out
    page.click("#btn-start")
    expect(page.locator("#phase")).not_to_have_attribute("data-phase", "idle", timeout=30_000)
    with live_server.client() as http:
        # Timeouts are kept, labelled, in the side dataset; stop after the first one lands.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#events li')].some(li => li.dataset.kind === 'episode_timeout')",
            timeout=60_000,
        )
        page.keyboard.press("Escape")
        expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=30_000)
        kept = http.get("/api/datasets/form/options_failures/episodes").json()
        assert kept and kept[0]["outcome"] == "timeout"
    # The main dataset has no episode yet; the side dataset shows the codec that was asked for.
    info_path = (
        live_server.settings.dataset_root / "form" / "options_failures" / "meta" / "info.json"
    )
    info = json.loads(info_path.read_text())
    assert info["features"]["observation.images.front"]["info"]["video.codec"] == "av1"
