"""The operator's whole flow in a real browser: start a scripted session from the form,
watch the live view and an episode succeed, find it in the dataset browser, play it, and
delete it with confirm."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, fill_start_form, screenshot

# Records every moment the success light turns on, however briefly: a scripted episode
# can succeed and reset within a few status updates.
WATCH_SUCCESS_LIGHT = """
window.__successLit = 0;
new MutationObserver(() => {
  if (document.getElementById('success').dataset.on === 'true') window.__successLit += 1;
}).observe(document.getElementById('success'), {attributes: true, attributeFilter: ['data-on']});
"""


def test_record_watch_browse_play_delete(live_server: LiveServer, page: Page) -> None:
    page.emulate_media(color_scheme="dark")  # what most operators run; light is the smoke test's
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    page.evaluate(WATCH_SUCCESS_LIGHT)
    fill_start_form(page, "tester/flow", episodes=1)
    screenshot(page, "flow-1-form")
    page.click("#btn-start")

    # Live view: both cameras draw frames, joints move, the phase shows recording.
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=120_000)
    expect(page.locator("#episode")).to_have_text("Episode 1 of 1")
    expect(page.locator("figure.camera")).to_have_count(2)
    page.wait_for_function(
        "[...document.querySelectorAll('figure.camera')].length === 2 && "
        "[...window.leisaac.live.cameras.tiles.values()].every(t => t.framesDrawn > 2)"
    )
    expect(page.locator(".joint-name")).to_have_count(6)
    expect(page.locator("#controls")).to_be_visible()
    expect(page.locator("#start-panel")).to_be_hidden()
    expect(page.locator('#health tr[data-key="loop"] .chip')).not_to_have_text("–")
    screenshot(page, "flow-2-recording")

    # The task's success rule fires: the light turns on, the episode is saved, the session ends.
    page.wait_for_function("window.__successLit > 0", timeout=240_000)
    expect(page.locator('#events li[data-kind="episode_saved"]')).to_have_count(1, timeout=120_000)
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
        1, timeout=120_000
    )
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")
    expect(page.locator("#start-panel")).to_be_visible()
    screenshot(page, "flow-3-finished")

    # Dataset browser: the dataset and its one successful episode.
    page.click("#tab-datasets")
    row = page.locator('#datasets-table tr[data-repo="tester/flow"]')
    expect(row).to_be_visible()
    expect(row.locator("td").nth(2)).to_have_text("1")  # after the merge tick and the id
    row.click()
    episode = page.locator('#episodes-table tr[data-episode="0"]')
    expect(episode).to_be_visible()
    expect(episode.locator(".badge")).to_have_text("success")
    episode.click()

    # Playback: both videos load and play from the episode's start, the plot has data.
    expect(page.locator("#player-videos video")).to_have_count(2)
    page.wait_for_function(
        "[...document.querySelectorAll('#player-videos video')].every(v => v.readyState >= 2)"
    )
    page.wait_for_function("window.leisaac.datasets.plot.signals?.timestamps?.length > 5")
    page.click("#player-play")
    page.wait_for_function("window.leisaac.datasets.player.position() > 0.3")
    screenshot(page, "flow-4-playback")
    page.wait_for_function("window.leisaac.datasets.player.ended", timeout=60_000)
    length = page.evaluate("window.leisaac.datasets.player.length")
    position = page.evaluate("window.leisaac.datasets.player.position()")
    assert abs(position - length) < 0.2, "playback stops at the episode's end"

    # Delete with confirm: cancel keeps it, OK removes it.
    page.click("#player-delete")
    expect(page.locator("#confirm")).to_be_visible()
    screenshot(page, "flow-5-confirm")
    page.click("#confirm-cancel")
    expect(page.locator('#episodes-table tr[data-episode="0"]')).to_be_visible()
    page.click("#player-delete")
    page.click("#confirm-ok")
    expect(page.locator("#episodes-table tbody tr")).to_have_count(0)
    expect(page.locator("#episodes-empty")).to_be_visible()
    expect(row.locator("td").nth(2)).to_have_text("0")
    screenshot(page, "flow-6-deleted")
