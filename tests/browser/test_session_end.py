"""What the page says once a session is over, in a laptop's window (1280x720), issue 23:
the status card keeps the finished session's counts, labelled as the last session's (not
"Saved 0 Failed 0 Frames 0" beside "done: 2 episode(s) saved"), and the episodes of an
unpaced session read "unpaced: timestamps exact" instead of timing flags. Real server, real
MuJoCo, the scripted demonstrator, real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leisaac_core.dataset import load_episodes
from tests.browser.helpers import LiveServer, fill_start_form, make_server, screenshot
from tests.support.recorded import record_dataset


def test_the_last_session_counts_stay_after_it_ends(
    live_server: LiveServer, laptop_page: Page
) -> None:
    page = laptop_page
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    expect(page.locator("#last-session")).to_be_hidden()  # no session yet: nothing to label
    fill_start_form(page, "tester/end", episodes=2)
    page.select_option("#f-realtime", "false")  # unpaced: quick
    page.click("#btn-start")
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
        1, timeout=180_000
    )

    episodes = load_episodes(live_server.settings.dataset_root / "tester" / "end")
    frames = sum(e.length for e in episodes)
    assert len(episodes) == 2 and frames > 0
    expect(page.locator("#phase")).to_have_text("IDLE")
    expect(page.locator("#last-session")).to_have_text("Last session · tester/end")
    expect(page.locator("#count-saved")).to_have_text("2")
    expect(page.locator("#count-failed")).to_have_text("0")
    expect(page.locator("#count-frames")).to_have_text(str(frames))
    expect(page.locator("#count-errors-item")).to_be_hidden()
    expect(page.locator("#session-message")).to_contain_text("done: 2 episode(s) saved")
    page.locator(".status-card").scroll_into_view_if_needed()
    screenshot(page, "laptop-session-end-counts")

    # A fresh page (a reload, another operator) shows the same.
    page.reload()
    expect(page.locator("#count-saved")).to_have_text("2")
    expect(page.locator("#last-session")).to_be_visible()


@pytest.fixture
def unpaced_server(tmp_path: Path) -> Iterator[LiveServer]:
    root = tmp_path / "datasets"
    record_dataset(root, "tester/unpaced", episodes=2)  # `record`, scripted: unpaced
    server = make_server(root).start()
    yield server
    server.stop()


def test_unpaced_episodes_read_timestamps_exact(
    unpaced_server: LiveServer, laptop_page: Page
) -> None:
    page = laptop_page
    page.goto(unpaced_server.url + "/#datasets")
    page.locator('#datasets-table tr[data-repo="tester/unpaced"]').click()
    rows = page.locator("#episodes-table tbody tr")
    expect(rows).to_have_count(2)
    # Column 8 is QC: no timing flag for an unpaced loop, whatever rate it ran at.
    expect(rows.locator("td:nth-child(8)")).to_have_text(["unpaced: timestamps exact"] * 2)
    expect(page.locator("#episodes-table tbody tr.suspect")).to_have_count(0)
    expect(page.locator("#ep-suspect-count")).to_have_text("(0)")
    screenshot(page, "laptop-datasets-unpaced-qc")
