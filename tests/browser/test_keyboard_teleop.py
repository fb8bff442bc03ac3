"""Driving the simulated arm from the page: the keyboard (LeIsaac's keys) and a gamepad, in
Chromium against a real server running MuJoCo. Only the page that holds control drives;
another page may take control from it, and then the first one's keys do nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import SCREENSHOTS, ConsoleLog, LiveServer, fill_start_form, screenshot

GRIPPER, SHOULDER_LIFT, ELBOW = 5, 1, 2
HOLD_S = 1.0
SETTLE_S = 1.0  # the simulated joints trail their targets for a moment after a key is released
STILL_TOLERANCE = 0.5  # normalized units (the arm spans -100..100)
MOVED = 3.0  # normalized units: clearly more than the physics wobble of a still arm


def joints(server: LiveServer) -> list[float]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        snapshot = http.get("/api/session").json()
    assert snapshot["phase"] == "recording", f"the session is not recording: {snapshot}"
    return list(snapshot["joint_state"])


def hold(page: Page, key: str, seconds: float = HOLD_S) -> None:
    page.keyboard.down(key)
    time.sleep(seconds)  # the page sends the held key ~30 times a second meanwhile
    page.keyboard.up(key)


def settled(server: LiveServer) -> list[float]:
    """Joint state once the arm has stopped; fails if it is still moving."""
    time.sleep(SETTLE_S)
    first = joints(server)
    time.sleep(0.5)
    second = joints(server)
    moving = [(i, a, b) for i, (a, b) in enumerate(zip(first, second, strict=True))]
    moving = [m for m in moving if abs(m[1] - m[2]) > STILL_TOLERANCE]
    assert not moving, f"the arm kept moving with no key held: (joint, before, after) {moving}"
    return second


def start_session(page: Page, server: LiveServer, device: str, repo_id: str) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, repo_id, episodes=1)
    page.select_option("#f-device", device)
    page.fill("#f-episode-time", "600")  # no timeout and reset in the middle of the test
    page.click("#btn-start")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=120_000)


def controls_screenshot(page: Page, name: str) -> None:
    """The whole page, and the controls with the control state at full size."""
    screenshot(page, name)
    page.locator("#controls").screenshot(path=str(SCREENSHOTS / f"{name}-controls.png"))


def take_control(page: Page) -> None:
    expect(page.locator("#btn-control")).to_be_visible()
    page.click("#btn-control")
    expect(page.locator("#control-state")).to_have_attribute("data-state", "mine")
    page.wait_for_function("window.leisaac.teleop.sent > 3")  # input flows at the send rate


@pytest.fixture
def second_page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    """Another operator's page: its own browser context (own cookies, own socket)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_keys_drive_the_arm_only_from_the_page_in_control(
    live_server: LiveServer, page: Page, second_page: Page
) -> None:
    start_session(page, live_server, "keyboard", "tester/keyboard")
    state = page.locator("#control-state")
    expect(state).to_have_attribute("data-state", "none")
    expect(state).to_contain_text("Nobody has control")
    expect(page.locator("#btn-control")).to_have_text("Take control")
    controls_screenshot(page, "teleop-0-nobody-has-control")

    # Keys before taking control do nothing.
    before = settled(live_server)
    hold(page, "KeyO")
    assert settled(live_server)[GRIPPER] == pytest.approx(before[GRIPPER], abs=STILL_TOLERANCE)

    take_control(page)
    expect(state).to_contain_text("You have control")
    controls_screenshot(page, "teleop-1-in-control")

    # O opens the gripper; the arm stops when the key is released.
    before = settled(live_server)
    hold(page, "KeyO")
    after = settled(live_server)
    assert after[GRIPPER] > before[GRIPPER] + MOVED, (
        f"O did not open the gripper: {before} -> {after}"
    )

    # Q raises the gripper: IK moves shoulder lift and elbow.
    before = after
    hold(page, "KeyQ")
    after = settled(live_server)
    moved = max(
        abs(after[SHOULDER_LIFT] - before[SHOULDER_LIFT]), abs(after[ELBOW] - before[ELBOW])
    )
    assert moved > MOVED, f"Q did not move shoulder_lift or elbow_flex: {before} -> {after}"

    # A second page sees who drives, and its keys do nothing while it has not taken control.
    second_page.goto(live_server.url + "/")
    other_state = second_page.locator("#control-state")
    expect(other_state).to_have_attribute("data-state", "other")
    expect(other_state).to_contain_text("has control")
    before = after
    hold(second_page, "KeyU")
    after = settled(live_server)
    assert after[GRIPPER] == pytest.approx(before[GRIPPER], abs=STILL_TOLERANCE), (
        "a page without control moved the gripper"
    )

    # Taking control transfers it: now the second page drives and the first one cannot.
    second_page.click("#btn-control")
    expect(other_state).to_have_attribute("data-state", "mine")
    expect(state).to_have_attribute("data-state", "other")
    expect(page.locator("#btn-control")).to_have_text("Take control from the other page")
    controls_screenshot(page, "teleop-2-other-has-control")
    hold(page, "KeyU")
    after = settled(live_server)
    assert after[GRIPPER] == pytest.approx(before[GRIPPER], abs=STILL_TOLERANCE), (
        "the page that lost control still moved the gripper"
    )
    hold(second_page, "KeyU")
    closed = settled(live_server)
    assert closed[GRIPPER] < after[GRIPPER] - MOVED, (
        f"U did not close the gripper: {after} -> {closed}"
    )

    # Releasing control: nobody drives.
    second_page.click("#btn-control")
    expect(other_state).to_have_attribute("data-state", "none")
    expect(state).to_have_attribute("data-state", "none")
    page.click("#btn-stop")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=120_000)
    expect(page.locator("#control-state")).to_be_hidden()


# The one stand-in in this file: headless Chromium has no gamepad and no way to plug a
# virtual one in, so navigator.getGamepads returns a standard-mapping pad the test presses.
# Everything after the page (the socket, the server, the device mapping, MuJoCo) is real.
FAKE_GAMEPAD = """
(() => {
  const button = () => ({ pressed: false, touched: false, value: 0 });
  const pad = {
    id: "Test pad (standard mapping)", index: 0, connected: true, mapping: "standard",
    timestamp: 0, axes: [0, 0, 0, 0], buttons: Array.from({ length: 17 }, button),
  };
  window.__pad = pad;
  window.__pressTrigger = (value) => {
    pad.buttons[7] = { pressed: value > 0.5, touched: value > 0, value };
    pad.timestamp += 1;
  };
  Object.defineProperty(Navigator.prototype, "getGamepads", {
    configurable: true,
    value: () => [pad, null, null, null],
  });
})();
"""


def test_gamepad_trigger_opens_the_gripper(live_server: LiveServer, page: Page) -> None:
    """Uses a stand-in navigator.getGamepads (FAKE_GAMEPAD): headless Chromium has no
    gamepad to read, so this is the only part that is not real. The page polls it with
    requestAnimationFrame and sends its axes and buttons in the input message as it would
    a real pad's."""
    page.add_init_script(FAKE_GAMEPAD)
    start_session(page, live_server, "gamepad", "tester/gamepad")
    take_control(page)
    expect(page.locator("#control-state")).to_contain_text("Test pad")
    controls_screenshot(page, "teleop-3-gamepad")

    before = settled(live_server)
    page.evaluate("window.__pressTrigger(1)")
    time.sleep(HOLD_S)
    page.evaluate("window.__pressTrigger(0)")
    after = settled(live_server)
    assert after[GRIPPER] > before[GRIPPER] + MOVED, (
        f"the right trigger did not open the gripper: {before} -> {after}"
    )
    page.click("#btn-stop")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=120_000)
