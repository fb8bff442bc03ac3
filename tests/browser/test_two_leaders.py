"""Two leader arms from the page: the Leader arm panel calibrates the left arm of a pair and
then, one click on, the right one (lerobot's `<id>_left` / `<id>_right` files); the start
form asks a two-arm task for a port per arm; the session's two arms follow their leaders on
the page, and an unplugged arm pauses the episode, named by its side, until it is back. Real server, MuJoCo, two simulated
STS3215 buses on ptys, Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import CAMERA_H, CAMERA_W, ConsoleLog, LiveServer, screenshot
from tests.browser.test_calibration import HALF_TURN, HIGH, LOW, MID_POSE, move_and_wait
from tests.support.sts3215_bus import SimulatedBus


@pytest.fixture
def calibration_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "calibration"
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(path))
    return path


@pytest.fixture
def buses() -> Iterator[dict[str, SimulatedBus]]:
    with SimulatedBus("pty") as left, SimulatedBus("pty") as right:
        for bus in (left, right):
            bus.set_positions(MID_POSE)
        yield {"left": left, "right": right}


def _calibrate(page: Page, bus: SimulatedBus) -> None:
    """Mid pose, sweep every joint, save: the steps an operator walks through."""
    page.click("#leader-start")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "mid_pose")
    page.click("#leader-mid")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "range")
    for ends in (LOW, HIGH):
        actual = [m + d for m, d in zip(MID_POSE, ends, strict=True)]
        move_and_wait(page, bus, actual, [HALF_TURN + d for d in ends])
    move_and_wait(page, bus, MID_POSE, [HALF_TURN] * 6)
    page.click("#leader-finish")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "done")


def _joint_value(page: Page, name: str) -> float:
    text = page.locator("#joints .joint-name", has_text=name).locator(
        "xpath=following-sibling::span[1]"
    )
    return float(text.inner_text())


def test_calibrate_both_arms_and_drive_the_two_arm_task_from_the_page(
    live_server: LiveServer,
    calibration_dir: Path,
    buses: dict[str, SimulatedBus],
    page: Page,
    console: ConsoleLog,
) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    page.click("#leader-panel summary")
    page.select_option("#leader-side", "left")
    page.fill("#leader-port", buses["left"].url)
    page.fill("#leader-arm-id", "station")
    expect(page.locator("#leader-file-hint")).to_contain_text("station_left.json")
    _calibrate(page, buses["left"])
    saved = calibration_dir / "teleoperators" / "so_leader"
    expect(page.locator("#leader-path")).to_have_text(str(saved / "station_left.json"))
    other = page.locator("#leader-other")
    expect(other).to_have_text("Calibrate the right arm")
    screenshot(page, "two-leaders-0-left-saved")

    other.click()  # the right arm: its own port, the same pair id
    expect(page.locator("#leader-side")).to_have_value("right")
    expect(page.locator("#leader-form")).to_be_visible()
    page.fill("#leader-port", buses["right"].url)
    _calibrate(page, buses["right"])
    expect(page.locator("#leader-path")).to_have_text(str(saved / "station_right.json"))
    expect(other).to_be_hidden()  # both done
    for side in ("left", "right"):
        data = json.loads((saved / f"station_{side}.json").read_text())
        assert data["shoulder_lift"]["range_min"] == HALF_TURN + LOW[1]
    page.click("#leader-panel summary")

    # The start form: a two-arm task with leader arms asks for a port per arm.
    page.select_option("#f-task", "bi_so101_clean_toy_table")
    page.select_option("#f-device", "so101_leader")
    expect(page.locator("#port-label")).to_be_hidden()
    expect(page.locator("#left-port-label")).to_be_visible()
    expect(page.locator("#right-port-label")).to_be_visible()
    expect(page.locator("#calibration-label")).to_be_hidden()
    page.fill("#f-left-port", buses["left"].url)
    page.fill("#f-right-port", buses["right"].url)
    page.fill("#f-arm-id", "station")
    page.fill("#f-repo", "tester/two-leaders")
    page.fill("#f-episodes", "2")
    page.fill("#f-episode-time", "120")
    if not page.locator("#f-cam-w").is_visible():
        page.click(".advanced summary")
    page.fill("#f-cam-w", str(CAMERA_W))
    page.fill("#f-cam-h", str(CAMERA_H))
    screenshot(page, "two-leaders-1-form")
    page.click("#btn-start")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=60_000)
    expect(page.locator("#joints .joint-name")).to_have_count(12)

    # Each arm follows its own leader on the page's joint bars.
    left_pan, right_pan = "left_shoulder_pan.pos", "right_shoulder_pan.pos"
    before = (_joint_value(page, left_pan), _joint_value(page, right_pan))
    buses["left"].set_positions([MID_POSE[0] + 500, *MID_POSE[1:]])
    page.wait_for_function(
        """([name, was]) => {
          const names = [...document.querySelectorAll('#joints .joint-name')];
          const n = names.find((e) => e.textContent === name);
          return n && Math.abs(parseFloat(n.nextElementSibling.nextElementSibling.textContent) - was) > 10;
        }""",
        arg=[left_pan, before[0]],
        timeout=30_000,
    )
    assert abs(_joint_value(page, right_pan) - before[1]) < 3, "the right arm stayed"
    buses["right"].set_positions([MID_POSE[0] - 500, *MID_POSE[1:]])
    page.wait_for_function(
        """([name, was]) => {
          const names = [...document.querySelectorAll('#joints .joint-name')];
          const n = names.find((e) => e.textContent === name);
          return n && Math.abs(parseFloat(n.nextElementSibling.nextElementSibling.textContent) - was) > 10;
        }""",
        arg=[right_pan, before[1]],
        timeout=30_000,
    )
    screenshot(page, "two-leaders-2-driving")

    # The right arm unplugged: the episode pauses and the page says which arm; plugged back
    # in, it resumes by itself.
    buses["right"].unplug()
    banner = page.locator("#banners")
    expect(banner).to_contain_text("Episode paused", timeout=30_000)
    expect(banner).to_contain_text("right leader arm")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording")
    screenshot(page, "two-leaders-3-unplugged")
    buses["right"].replug()
    expect(banner).not_to_contain_text("Episode paused", timeout=30_000)
    expect(page.locator('#events li[data-kind="episode_resumed"]')).to_have_count(1)
    page.click('button[data-command="stop"]')
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=60_000)
