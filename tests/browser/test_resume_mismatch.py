"""Resuming from the form into a dataset recorded with other settings: the page names its
own controls (their labels) and the values that match the dataset, and marks them."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.browser.helpers import CAMERA_H, CAMERA_W, ConsoleLog, LiveServer, fill_start_form


def test_resume_with_other_settings_names_the_form_controls(
    live_server: LiveServer, page: Page, console: ConsoleLog
) -> None:
    console.allow(r"status of 409")  # the refused start, on purpose
    body = {
        "episodes": 1,
        "env": {"task": "so101_lift_cube", "camera_width": CAMERA_W, "camera_height": CAMERA_H},
        "devices": [{"type": "scripted"}],
        "dataset": {"repo_id": "form/resume"},
        "episode": {"realtime": False},
    }
    with live_server.client() as http:
        assert http.post("/api/session", json=body).status_code == 201
        deadline = time.monotonic() + 120
        while http.get("/api/session").json()["phase"] != "idle":
            assert time.monotonic() < deadline
            time.sleep(0.2)
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "form/resume", episodes=1)
    page.check("#f-resume")
    page.fill("#f-fps", "15")
    page.select_option("#f-codec", "av1")
    page.click("#btn-start")
    error = page.locator("#start-error")
    expect(error).to_contain_text("was recorded with other settings")
    expect(error).to_contain_text("set FPS to 30")
    expect(error).to_contain_text("set Video codec to h264 (plays everywhere)")
    for control in ("#f-fps", "#f-codec"):
        expect(page.locator(f"label:has({control})")).to_have_class("attention")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")
