"""Review before keeping, in Chromium: with the start form's review option, each saved
episode appears with its videos and joint plot while the next reset runs; X discards it
(hotkey, as a foot pedal would type it), the Keep button keeps the next, and the last one,
never reviewed, stays kept. Real server, MuJoCo, scripted demonstrator, writer."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from leisaac_core.dataset import load_episodes
from tests.browser.helpers import SCREENSHOTS, LiveServer, fill_start_form, screenshot


def test_review_discard_keep_and_default_keep(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "tester/review", episodes=2)
    page.fill("#f-reset-time", "3")
    page.check("#f-review")
    page.click("#btn-start")

    review = page.locator("#review")
    expect(review).to_be_visible(timeout=120_000)
    expect(review).to_have_attribute("data-episode", "0")
    expect(page.locator("#review-videos video")).to_have_count(2)
    page.wait_for_function(
        "[...document.querySelectorAll('#review-videos video')].every(v => v.readyState >= 2)"
    )
    page.wait_for_function("window.leisaac.review.plot.signals?.timestamps?.length > 5")
    screenshot(page, "review-1-pending")
    review.screenshot(path=str(SCREENSHOTS / "review-panel.png"))
    page.keyboard.press("x")  # discard, by hotkey
    expect(page.locator('#events li[data-kind="episode_discarded_after_review"]')).to_have_count(
        1, timeout=30_000
    )

    expect(review).to_be_visible(timeout=120_000)  # the next saved episode (index 0 again)
    page.wait_for_function("window.leisaac.review.shown === 0 && !window.leisaac.review.busy")
    page.click("#review-keep")
    expect(page.locator('#events li[data-kind="episode_kept"]')).to_have_count(1, timeout=30_000)
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
        1, timeout=120_000
    )
    expect(review).to_be_hidden()
    root = live_server.settings.dataset_root / "tester" / "review"
    assert [e.seed for e in load_episodes(root)] == [4, 5]
