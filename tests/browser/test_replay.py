"""Replay in sim from the dataset browser: a recorded scripted episode replays from its seed,
the page says the task succeeds again with the joint-state error, and plays the recorded and
the replayed cameras side by side. Real server, real MuJoCo, a dataset `record` wrote."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SCREENSHOTS, LiveServer, make_server, screenshot
from tests.support.recorded import record_dataset


@pytest.fixture
def replay_server(tmp_path: Path) -> Iterator[LiveServer]:
    root = tmp_path / "datasets"
    record_dataset(root, "tester/replay")
    server = make_server(root).start()
    yield server
    server.stop()


def test_replay_button_shows_outcome_and_cameras_side_by_side(
    replay_server: LiveServer, page: Page
) -> None:
    page.goto(replay_server.url + "/#datasets")
    page.locator('#datasets-table tr[data-repo="tester/replay"]').click()
    page.locator('#episodes-table tr[data-episode="0"]').click()
    expect(page.locator("#player-videos video")).to_have_count(2)
    page.click("#player-replay")
    result = page.locator("#replay-result")
    expect(result).to_have_attribute("data-state", "same", timeout=120_000)
    expect(result).to_contain_text("succeeds again")
    expect(result).to_contain_text("recorded: success")
    expect(result).to_contain_text("Joint-state error")
    captions = page.locator("#player-videos figcaption")
    expect(captions).to_have_text(
        ["front · recorded", "front · replayed", "wrist · recorded", "wrist · replayed"]
    )
    page.wait_for_function(
        "[...document.querySelectorAll('#player-videos video')].every(v => v.readyState >= 2)"
    )
    page.click("#player-play")
    page.wait_for_function("window.leisaac.datasets.player.position() > 0.5")
    page.click("#player-play")  # pause mid-episode for the screenshot
    screenshot(page, "replay-side-by-side")
    page.locator("#player").screenshot(path=str(SCREENSHOTS / "replay-player.png"))


# Every text the element shows, in order (a MutationObserver: each websocket message is its
# own task, so each progress line the page renders is seen).
RECORD_TEXTS = """selector => {
  window.shownTexts = [];
  const node = document.querySelector(selector);
  new MutationObserver(() => window.shownTexts.push(node.textContent))
    .observe(node, { childList: true, characterData: true, subtree: true });
}"""


def test_replay_shows_its_progress_while_it_runs(
    replay_server: LiveServer, laptop_page: Page
) -> None:
    page = laptop_page
    page.goto(replay_server.url + "/#datasets")
    page.locator('#datasets-table tr[data-repo="tester/replay"]').click()
    page.locator('#episodes-table tr[data-episode="0"]').click()
    frames = int(
        page.locator('#episodes-table tr[data-episode="0"] td').nth(3).inner_text().split()[0]
    )
    page.evaluate(RECORD_TEXTS, "#replay-progress .op-text")
    page.click("#player-replay")
    result = page.locator("#replay-result")
    expect(result).to_have_attribute("data-state", "same", timeout=120_000)
    shown = page.evaluate("window.shownTexts")
    steps = [re.search(r"replaying (\d+) of (\d+) frames \((\d+) %\)", t) for t in shown]
    counts = [(int(m[1]), int(m[2])) for m in steps if m]
    assert counts, shown
    assert {total for _, total in counts} == {frames}
    done = [d for d, _ in counts]
    assert done == sorted(done) and done[-1] == frames, done
    assert any(0 < d < frames for d in done), done  # seen under way, not only at the end
    assert all(t.startswith("Replaying episode 0 of tester/replay") for t in shown[1:]), shown
    # Once the result is there the progress line has gone.
    expect(page.locator("#replay-progress .op-progress")).to_be_hidden()
    expect(page.locator("#player-replay")).to_have_text("Replay in sim")
