"""Keyboard input from a (remote) browser is timed as a leader relay's samples are: the page
stamps each input message with its clock and its offset from the server's (ping round
trips), and the server keeps its age when a tick first acts on it and its one-way latency,
shown in the health panel and stored with the episode."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer
from tests.browser.test_keyboard_teleop import hold, start_session, take_control


def test_keyboard_input_age_is_measured_shown_and_stored(
    live_server: LiveServer, page: Page
) -> None:
    start_session(page, live_server, "keyboard", "op/keys_age")
    take_control(page)
    hold(page, "KeyW", 1.0)
    cell = page.locator('#health tr[data-key="input"] .v')
    expect(cell).to_have_text(re.compile(r"^\d+ / \d+ ms · -?\d+ ms$"), timeout=10_000)
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        details = http.get("/api/session").json()["device_health"]["details"]
        assert details["input_age_ms_p50"] >= 0 and details["input_latency_ms_p50"] is not None
        page.click("#btn-success")
        for _ in range(300):
            response = http.get("/api/datasets/op/keys_age/episodes")
            episodes = response.json() if response.status_code == 200 else []
            if episodes:
                break
            page.wait_for_timeout(100)
    timing = episodes[0]["input_timing"]
    # Page and server share this machine's clock: the offset estimate is near zero, and an
    # input is used within a few ticks of its making.
    assert abs(timing["input_clock_offset_ms"]) < 50
    assert 0 <= timing["input_age_p50_ms"] <= timing["input_age_p99_ms"]
    assert timing["input_latency_p50_ms"] <= timing["input_age_p50_ms"] + 5
    assert timing["input_pauses"] == 0  # keys never pause an episode
