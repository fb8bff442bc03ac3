"""The fleet view in headless Chromium while a fleet records on the real two-node Ray
cluster of the fleet tests. It lives with the browser tests so that one Chromium (one sync
Playwright per process) serves all of them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import ConsoleLog, LiveServer, screenshot
from tests.fleet.conftest import ray_cluster  # noqa: F401  (sets Ray's loopback env first)


@pytest.mark.browser
def test_fleet_view_shows_workers_while_it_runs(
    ray_cluster: Any,  # noqa: F811  (the fixture imported above)
    live_server: LiveServer,
    page: Page,
    console: ConsoleLog,
) -> None:
    console.allow(r"status of 409")  # the refused start at the end, on purpose
    page.goto(live_server.url + "/#fleet")
    expect(page.locator("#fleet-state")).to_have_text("idle")
    page.select_option("#fl-task", "so101_lift_cube")
    page.fill("#fl-repo", "page/fleet")
    page.fill("#fl-episodes", "6")
    page.fill("#fl-camera", "32x24")
    page.fill("#fl-address", ray_cluster.address)
    page.click("#fleet-start")
    # While it runs: both workers listed, at least one recording, the stop button live.
    expect(page.locator("#fleet-state")).to_have_text("running", timeout=60_000)
    rows = page.locator("#fleet-workers tbody tr")
    expect(rows).to_have_count(2)
    # A worker's first session can take tens of seconds to start on a loaded machine.
    recording = page.locator('#fleet-workers tr[data-state="recording"]').first
    expect(recording).to_be_visible(timeout=120_000)
    expect(page.locator("#fleet-stop")).to_be_enabled()
    # Choosing a worker shows its newest camera frame: one seen recording (which one is
    # first depends on scheduling).
    watched = recording.get_attribute("data-worker")
    assert watched in ("worker-1", "worker-2")
    page.click(f'#fleet-workers tr[data-worker="{watched}"]')
    thumb = page.locator("#fleet-thumb")
    # Polled until the worker has a frame (204 before its first tick).
    expect(thumb).to_be_visible(timeout=120_000)
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function("document.getElementById('fleet-thumb').naturalWidth > 0")
    expect(page.locator("#fleet-thumb-caption")).to_contain_text(watched)
    screenshot(page, "fleet-running")
    expect(page.locator("#fleet-state")).to_have_text("finished", timeout=180_000)
    expect(page.locator("#fleet-summary")).to_contain_text("6 of 6 episodes in page/fleet")
    saved = [int(rows.nth(i).locator("td").nth(4).inner_text()) for i in range(2)]
    assert sum(saved) == 6
    expect(page.locator("#fleet-events li").first).to_contain_text("finished")
    # A start the server refuses shows its reason on the page, in the page's words: the
    # dataset exists now and Resume is not ticked.
    page.click("#fleet-start")
    expect(page.locator("#fleet-error")).to_contain_text("Tick Resume to add episodes to it")
