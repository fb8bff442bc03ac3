"""Review before keeping, in Chromium at 1280x720: with the start form's review option, each
saved episode appears with its videos and joint plot while the next reset runs; X discards
it (hotkey, as a foot pedal would type it), the Keep button keeps the next, and the last one
is offered too (issue 23 point 6): the session waits in REVIEWING until it is decided, then
ends. Real server, MuJoCo, scripted demonstrator, writer."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from leisaac_core.dataset import load_episodes
from tests.browser.helpers import SCREENSHOTS, LiveServer, fill_start_form, screenshot


def test_review_discard_keep_and_the_last_episode(
    live_server: LiveServer, laptop_page: Page
) -> None:
    page = laptop_page
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

    # The last episode (seed 5, index 1): offered while the session waits for it.
    expect(review).to_have_attribute("data-episode", "1", timeout=120_000)
    expect(page.locator("#phase")).to_have_text("REVIEWING")
    expect(page.locator("#episode")).to_have_text("2 of 2 recorded: review the last")
    page.wait_for_function("window.leisaac.review.shown === 1 && !window.leisaac.review.busy")
    screenshot(page, "laptop-review-last-episode")
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(0)
    page.keyboard.press("y")  # keep, by hotkey
    expect(page.locator('#events li[data-kind="episode_kept"]')).to_have_count(2, timeout=30_000)
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
        1, timeout=120_000
    )
    expect(review).to_be_hidden()
    expect(page.locator("#count-saved")).to_have_text("2")
    root = live_server.settings.dataset_root / "tester" / "review"
    assert [e.seed for e in load_episodes(root)] == [4, 5]
