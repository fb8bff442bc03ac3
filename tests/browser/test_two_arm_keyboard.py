"""Keys alone clean the two-arm toy table (LeIsaac has no keyboard for its two-arm tasks):
the page's switch (1 / 2) picks the arm the keys drive, each arm picks its toy, carries it
over the box, lets go and folds back to rest, and the task's rule saves the episode. The
test plays the person (tests/support/two_arm_pilot.py): it reads the joint state and the
object positions from the API, as a person reads the cameras, and only presses keys in
Chromium at the page's default speed, paced by the server's ticks
(tests/support/page_keyboard.py). Real server, real MuJoCo."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from leisaac_core import so101
from tests.browser.helpers import LiveServer, fill_start_form, screenshot
from tests.browser.test_keyboard_teleop import take_control
from tests.support.page_keyboard import PageKeyboard
from tests.support.two_arm_pilot import ArmPilot, arm_frame

GIVE_UP_S = 600.0  # a hang guard: the pilot paces itself by the server's ticks


def _driven_arm(http: httpx.Client) -> str | None:
    return http.get("/api/session").json()["device_health"]["details"].get("arm")


def test_keys_alone_clean_the_two_arm_toy_table(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "tester/two-arm-keys", episodes=1)
    page.select_option("#f-task", "bi_so101_clean_toy_table")
    page.select_option("#f-device", "keyboard")
    page.fill("#f-episode-time", "600")
    page.click("#btn-start")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=120_000)
    take_control(page)

    # The switch: visible for two arms, the left arm first; 2 and 1 change it, and the server
    # drives the arm the page names.
    switch = page.locator("#arm-switch")
    expect(switch).to_be_visible()
    left, right = switch.locator("[data-arm-index='0']"), switch.locator("[data-arm-index='1']")
    expect(left).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#control-state")).to_contain_text("drive the left arm")
    expect(page.locator("#drive-help")).to_contain_text("1 / 2")
    page.keyboard.press("Digit2")
    expect(right).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#control-state")).to_contain_text("drive the right arm")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        deadline = time.monotonic() + 30
        while _driven_arm(http) != "right":
            assert time.monotonic() < deadline, "the server never drove the right arm"
            time.sleep(0.05)
        screenshot(page, "two-arm-keys-0-switch")

        keyboard = PageKeyboard(page, http)
        deadline = time.monotonic() + GIVE_UP_S
        for index, (side, toy) in enumerate((("left", "toy_1"), ("right", "toy_2"))):
            page.keyboard.press(f"Digit{index + 1}")
            pilot = ArmPilot(toy)
            snapshot = keyboard.look()
            while not pilot.done and time.monotonic() < deadline:
                if snapshot["phase"] != "recording":
                    break  # the rule held: the episode ended as a success
                joints = snapshot["joint_state"][so101.arm_slice(index)]
                keys = pilot.next_keys(joints, arm_frame(snapshot["objects"], side))
                snapshot = keyboard.play(keys, snapshot, f"{side}:{pilot.phase}:")
                if pilot.phase == "carry" and len(keyboard.trace) % 15 == 0:
                    screenshot(page, f"two-arm-keys-1-{side}-carrying")
            keyboard.release()
            assert pilot.done or snapshot["phase"] != "recording", (
                f"the {side} arm did not finish within {GIVE_UP_S:g} s; "
                f"keys: {keyboard.trace[-40:]}"
            )
        succeeded = page.locator('#events li[data-kind="episode_succeeded"]')
        expect(succeeded).to_contain_text("success detected", timeout=60_000)
        screenshot(page, "two-arm-keys-2-done")
        expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
            1, timeout=120_000
        )
        episodes = http.get("/api/datasets/tester/two-arm-keys/episodes").json()
    assert [e["outcome"] for e in episodes] == ["success"]
    assert episodes[0]["device"] == "keyboard"
