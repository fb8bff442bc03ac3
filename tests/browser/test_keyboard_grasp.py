"""Fine control from the page: at the default speed, a person grasps and lifts an orange with
the keyboard alone. The test plays that person (tests/support/keyboard_pilot.py): it reads
the joint state and the object positions from the API, as a person reads the camera, and
only presses keys in Chromium (Shift for precision near a goal), paced by the server's ticks
(tests/support/page_keyboard.py). Real server, real MuJoCo."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, fill_start_form, screenshot
from tests.browser.test_keyboard_teleop import take_control
from tests.support.keyboard_pilot import LIFT_TO, KeyboardPilot
from tests.support.page_keyboard import PageKeyboard

GIVE_UP_S = 300.0  # a hang guard: the pilot paces itself by the server's ticks


def start_pick_orange(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "tester/keyboard-grasp", episodes=1)
    page.select_option("#f-task", "so101_pick_orange")
    page.select_option("#f-device", "keyboard")
    page.fill("#f-episode-time", "600")
    page.click("#btn-start")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=120_000)


def test_default_speed_is_remembered_per_browser(live_server: LiveServer, page: Page) -> None:
    start_pick_orange(page, live_server)
    take_control(page)
    # Keys (and a foot pedal's) reach only the focused page; the page says so.
    expect(page.locator("#focus-note")).to_contain_text("only while it has focus")
    expect(page.locator("#speed-value")).to_have_text("25%")
    assert page.evaluate("window.leisaac.teleop.speedFraction()") == 0.25
    page.keyboard.down("Shift")
    expect(page.locator("#speed-value")).to_contain_text("Shift")
    assert abs(page.evaluate("window.leisaac.teleop.speedFraction()") - 0.05) < 1e-9
    page.keyboard.up("Shift")
    page.keyboard.press("Minus")
    expect(page.locator("#speed-value")).to_have_text("20%")
    page.reload()
    take_control(page)
    expect(page.locator("#speed-value")).to_have_text("20%")
    page.click("#btn-stop")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=120_000)


def test_keyboard_alone_grasps_and_lifts_an_orange(live_server: LiveServer, page: Page) -> None:
    start_pick_orange(page, live_server)
    take_control(page)
    expect(page.locator("#drive-speed")).to_be_visible()
    expect(page.locator("#speed-value")).to_have_text("25%")  # the default, untouched
    pilot = KeyboardPilot("orange_1")
    deadline = time.monotonic() + GIVE_UP_S
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        keyboard = PageKeyboard(page, http)
        snapshot = keyboard.look()
        while not pilot.done and time.monotonic() < deadline:
            assert snapshot["phase"] == "recording", snapshot
            keys = pilot.next_keys(snapshot["joint_state"], snapshot["objects"])
            snapshot = keyboard.play(keys, snapshot, f"{pilot.phase}:")
            if pilot.phase == "lift" and len(keyboard.trace) % 10 == 0:
                screenshot(page, "teleop-4-grasp-lifting")
        screenshot(page, "teleop-5-grasp-lifted")
        orange = keyboard.look()["objects"]["orange_1"]
        keyboard.release()
    assert pilot.done, f"no grasp within {GIVE_UP_S:g} s; keys: {keyboard.trace[-40:]}"
    assert orange[2] > LIFT_TO - 0.01, f"the orange is not in the air: {orange}"
    page.click("#btn-stop")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=120_000)
