"""The Fleet tab's form at 1280x720 without starting Ray (issue 23): its Task is the Record
form's list, its Resume checkbox sits on its label's line, its messages are in the page's
words, and a fleet start while a session records is refused with the server's reason.
(A fleet that runs is in test_fleet_view.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import ConsoleLog, LiveServer, make_server, screenshot, wait_ready
from tests.hub.handmade_dataset import write_dataset
from tests.support.live_server import session_body


@pytest.fixture
def fleet_server(tmp_path: Path) -> Iterator[LiveServer]:
    write_dataset(tmp_path / "datasets" / "alice" / "fleet", episodes=1)
    server = make_server(tmp_path / "datasets").start()
    yield server
    server.stop()


def test_fleet_form_layout_and_messages(
    fleet_server: LiveServer, laptop_page: Page, console: ConsoleLog
) -> None:
    console.allow(r"status of (422|409)")  # the refused starts, on purpose
    page = laptop_page
    page.goto(fleet_server.url + "/#fleet")
    wait_ready(page)

    # Task: a list, the same as the Record form's, with the task's text under it.
    record_tasks = page.locator("#f-task option").all_inner_texts()
    assert record_tasks and page.locator("#fl-task option").all_inner_texts() == record_tasks
    page.select_option("#fl-task", "so101_lift_cube")
    expect(page.locator("#fl-task-hint")).not_to_be_empty()

    # Resume: the box on the line of its words, not above them.
    box = page.locator("#fl-resume").bounding_box()
    words = page.evaluate(
        """() => {
          const label = document.getElementById('fl-resume').closest('label');
          const range = document.createRange();
          range.selectNodeContents(label);
          range.setStartAfter(document.getElementById('fl-resume'));
          const r = range.getBoundingClientRect();
          return {x: r.x, y: r.y, height: r.height};
        }"""
    )
    assert box is not None
    middle = box["y"] + box["height"] / 2
    assert words["y"] <= middle <= words["y"] + words["height"], (box, words)
    assert box["x"] + box["width"] <= words["x"], (box, words)
    screenshot(page, "fleet-form-1280")

    error = page.locator("#fleet-error")
    page.fill("#fl-repo", "/etc")
    page.click("#fleet-start")
    expect(error).to_contain_text("Dataset repo id “/etc” has no namespace before the “/”")

    page.fill("#fl-repo", "alice/new_fleet")
    page.fill("#fl-episodes", "0")
    page.click("#fleet-start")
    expect(error).to_contain_text("Episodes: Input should be greater than or equal to 1")
    expect(error).not_to_contain_text("session.")

    page.fill("#fl-episodes", "2")
    page.fill("#fl-repo", "alice/fleet")  # exists; Resume not ticked
    page.click("#fleet-start")
    expect(error).to_have_text(
        "“alice/fleet” already exists on the server. Tick Resume to add episodes to it, "
        "or enter another Dataset repo id."
    )
    expect(page.locator("#fleet-state")).to_have_text("idle")

    # A session records: the fleet is refused, with the reason, and nothing starts.
    with fleet_server.client() as http:
        session = session_body("alice/session", episode={"realtime": True, "time_s": 600})
        assert http.post("/api/session", json=session).is_success
        page.fill("#fl-repo", "alice/new_fleet")
        page.click("#fleet-start")
        expect(error).to_contain_text("a session is recording into alice/session on this server")
        expect(page.locator("#fleet-state")).to_have_text("idle")
        screenshot(page, "fleet-refused-1280")
        assert http.post("/api/session/stop").is_success
