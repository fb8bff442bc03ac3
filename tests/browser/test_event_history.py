"""The events panel of a long session: the recent events come with the live connection, and
"Older events" reads earlier ones back from the server's event log, down to the first."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from leisaac_core.session.state import EventKind
from tests.browser.helpers import LiveServer


def test_older_events_are_paged_in_from_the_server(live_server: LiveServer, page: Page) -> None:
    engine = live_server.app.state.engine
    for n in range(1, 701):  # more than the server keeps in memory (500)
        engine.emit(EventKind.EPISODE_SAVED, f"saved episode {n}", episode_index=n)
    page.goto(live_server.url + "/")
    events = page.locator("#events li")
    expect(events).to_have_count(50)  # the catch-up sent on connect
    expect(events.first).to_contain_text("saved episode 700")
    older = page.locator("#events-older")
    for shown in (150, 250, 350, 450, 550, 650, 700):
        older.click()
        expect(events).to_have_count(shown)
    expect(events.last).to_contain_text("saved episode 1")
    expect(older).to_be_hidden()
    engine.emit(EventKind.EPISODE_SAVED, "saved episode 701", episode_index=701)
    expect(events.first).to_contain_text("saved episode 701")
    expect(events).to_have_count(701)  # what was paged in stays shown
