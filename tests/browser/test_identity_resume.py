"""Resuming from the form into a dataset of the other robot identity: the page names its
"Robot identity" control and the choice that matches the dataset, and marks it."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.browser.helpers import CAMERA_H, CAMERA_W, ConsoleLog, LiveServer, fill_start_form


def test_resume_of_the_other_identity_names_robot_identity(
    live_server: LiveServer, page: Page, console: ConsoleLog
) -> None:
    console.allow(r"status of 409")  # the refused start, on purpose
    body = {
        "episodes": 1,
        "env": {"task": "so101_lift_cube", "camera_width": CAMERA_W, "camera_height": CAMERA_H},
        "devices": [{"type": "scripted"}],
        "dataset": {"repo_id": "form/leisaac", "identity": "leisaac"},
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
    fill_start_form(page, "form/leisaac", episodes=1)
    page.check("#f-resume")
    page.click("#btn-start")  # the form's default: the backend's (lerobot on MuJoCo)
    error = page.locator("#start-error")
    expect(error).to_contain_text("was recorded with other settings")
    expect(error).to_contain_text("set Robot identity to leisaac (so101_follower")
    expect(page.locator("label:has(#f-identity)")).to_have_class("attention")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")
    page.select_option("#f-identity", "leisaac")
    page.click("#btn-start")
    expect(error).to_be_hidden()
    with live_server.client() as http:  # the matching identity resumes: one more episode
        deadline = time.monotonic() + 120
        while len(http.get("/api/datasets/form/leisaac/episodes").json()) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.2)
