"""Leader-arm calibration through the page: Chromium drives the Leader arm panel of a real
server, which talks the real servo protocol to the simulated STS3215 bus on a pty (no
hardware can run here; the bus is this project's own simulation, not a mock of our code).
The test moves the simulated arm between the steps and watches the page follow."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    CAMERA_H,
    CAMERA_W,
    SCREENSHOTS,
    ConsoleLog,
    LiveServer,
    screenshot,
)
from tests.support.sts3215_bus import SimulatedBus

JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
MID_POSE = [1000, 3000, 2000, 2500, 100, 1500]
LOW = [-700, -900, -800, -1000, 0, -30]
HIGH = [650, 950, 780, 1000, 1500, 900]
HALF_TURN = 2047  # after the mid pose, every joint reads 2047 where it stood
# Chromium logs every 4xx answer as a console error; these tests provoke 409s on purpose.
CONFLICT_LOG = r"status of 409"


@pytest.fixture
def calibration_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """lerobot's calibration root, set before the server (a thread of this process) reads it."""
    path = tmp_path / "calibration"
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(path))
    return path


@pytest.fixture
def bus() -> Iterator[SimulatedBus]:
    with SimulatedBus("pty") as sim:
        sim.set_positions(MID_POSE)
        yield sim


def panel_screenshot(page: Page, name: str) -> None:
    """The whole page, and the panel alone at full size (what to look at)."""
    screenshot(page, name)
    page.locator("#leader-panel").screenshot(path=str(SCREENSHOTS / f"{name}-panel.png"))


def track(page: Page, joint: str):  # noqa: ANN201 - a Playwright locator
    return page.locator("#leader-joints .cal-track").nth(JOINTS.index(joint))


def move_and_wait(page: Page, sim: SimulatedBus, actual: list[int], shown: list[int]) -> None:
    """Move the simulated arm and wait until the page's live bars show the new pose."""
    sim.set_positions(actual)
    for joint, value in zip(JOINTS, shown, strict=True):
        expect(track(page, joint)).to_have_attribute("data-position", str(value))


def open_panel(page: Page, server: LiveServer, port: str, arm_id: str) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    expect(page.locator("#leader-form")).to_be_hidden()  # collapsed by default
    page.click("#leader-panel summary")
    page.fill("#leader-port", port)
    page.fill("#leader-arm-id", arm_id)


def test_calibrate_the_leader_arm_from_the_page(
    live_server: LiveServer,
    calibration_dir: Path,
    bus: SimulatedBus,
    page: Page,
) -> None:
    page.emulate_media(color_scheme="dark")  # what most operators run; the other test is light
    open_panel(page, live_server, bus.url, "web_leader")
    panel_screenshot(page, "calibration-0-form")
    page.click("#leader-start")

    # Step 1: the instruction and the live positions, polled while the operator moves.
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "mid_pose")
    expect(page.locator("#leader-instruction")).to_contain_text("middle")
    for joint, value in zip(JOINTS, MID_POSE, strict=True):
        expect(track(page, joint)).to_have_attribute("data-position", str(value))
    nudged = [v + 40 for v in MID_POSE]
    move_and_wait(page, bus, nudged, nudged)
    panel_screenshot(page, "calibration-1-mid-pose")

    # Step 2: the current pose becomes the middle; sweeping widens the min..max per joint.
    page.click("#leader-mid")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "range")
    expect(page.locator("#leader-instruction")).to_contain_text("full range")
    expect(track(page, "shoulder_lift")).to_have_attribute("data-position", str(HALF_TURN))
    for ends in (LOW, HIGH):
        actual = [m + d for m, d in zip(nudged, ends, strict=True)]
        move_and_wait(page, bus, actual, [HALF_TURN + d for d in ends])
    move_and_wait(page, bus, nudged, [HALF_TURN] * 6)
    for joint, low, high in zip(JOINTS, LOW, HIGH, strict=True):
        if joint == "wrist_roll":  # turns freely: always the full turn
            low, high = -HALF_TURN, 4095 - HALF_TURN
        expect(track(page, joint)).to_have_attribute("data-min", str(HALF_TURN + low))
        expect(track(page, joint)).to_have_attribute("data-max", str(HALF_TURN + high))
    expect(page.locator("#leader-joints .cal-value").nth(1)).to_contain_text(
        f"{HALF_TURN + LOW[1]}–{HALF_TURN + HIGH[1]}"
    )
    panel_screenshot(page, "calibration-2-range")

    # Step 3: saved where lerobot looks; the page says where, and stops polling.
    page.click("#leader-finish")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "done")
    saved = calibration_dir / "teleoperators" / "so_leader" / "web_leader.json"
    expect(page.locator("#leader-path")).to_have_text(str(saved))
    data = json.loads(saved.read_text())
    assert data["shoulder_lift"]["range_min"] == HALF_TURN + LOW[1]
    assert data["shoulder_lift"]["range_max"] == HALF_TURN + HIGH[1]
    assert data["gripper"]["id"] == 6
    panel_screenshot(page, "calibration-3-saved")
    polls = page.evaluate("window.leisaac.calibration.polls")
    time.sleep(0.6)  # six poll periods: none may happen after the procedure ended
    assert page.evaluate("window.leisaac.calibration.polls") == polls
    assert page.evaluate("localStorage.getItem('leisaac.leader-port')") == bus.url

    # A session that drives the leader arm blocks calibrating it, and the panel says why.
    with httpx.Client(base_url=live_server.url, timeout=120) as http:
        started = http.post(
            "/api/session",
            json={
                "env": {
                    "task": "so101_lift_cube",
                    "camera_width": CAMERA_W,
                    "camera_height": CAMERA_H,
                },
                "devices": [
                    {"type": "so101_leader", "port": bus.url, "calibration_path": str(saved)}
                ],
                "dataset": {"repo_id": "tester/leader"},
                "episode": {"realtime": True},
            },
        )
        try:
            assert started.status_code == 201, started.text
            page.click("#leader-again")
            expect(page.locator("#leader-blocked")).to_be_visible()
            expect(page.locator("#leader-blocked")).to_contain_text("stop it")
            expect(page.locator("#leader-start")).to_be_disabled()
            panel_screenshot(page, "calibration-4-blocked")
        finally:
            assert http.post("/api/session/stop").status_code == 200
    expect(page.locator("#leader-blocked")).to_be_hidden(timeout=60_000)
    expect(page.locator("#leader-start")).to_be_enabled()


def test_calibration_problems_are_shown_plainly(
    live_server: LiveServer,
    calibration_dir: Path,
    bus: SimulatedBus,
    page: Page,
    console: ConsoleLog,
) -> None:
    console.allow(CONFLICT_LOG)
    # A port with nothing on it: the server's message, naming the port.
    open_panel(page, live_server, "/dev/no-leader-here", "leader")
    page.click("#leader-start")
    expect(page.locator("#leader-error")).to_contain_text("/dev/no-leader-here")
    expect(page.locator("#leader-form")).to_be_visible()

    # Finishing without sweeping any joint is refused; the procedure stays where it was.
    page.fill("#leader-port", bus.url)
    page.click("#leader-start")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "mid_pose")
    page.click("#leader-mid")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "range")
    page.click("#leader-finish")
    expect(page.locator("#leader-error")).to_contain_text("shoulder_pan")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "range")

    # Cancel: back to the form; closing the panel stops the polling too.
    page.click("#leader-cancel")
    expect(page.locator("#leader-form")).to_be_visible()
    expect(page.locator("#leader-error")).to_be_hidden()

    # A reload mid-procedure: Start picks up the calibration the server still holds.
    page.click("#leader-start")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "mid_pose")
    page.reload()
    expect(page.locator("#conn")).to_have_text("live")
    page.click("#leader-panel summary")
    expect(page.locator("#leader-port")).to_have_value(bus.url)  # remembered
    page.click("#leader-start")
    expect(page.locator("#leader-panel")).to_have_attribute("data-step", "mid_pose")
    expect(page.locator("#leader-error")).to_contain_text("already in progress")
    panel_screenshot(page, "calibration-6-resumed")

    # Unplugged mid-procedure: a clear message, back to the form, polling stopped.
    page.wait_for_function("window.leisaac.calibration.polls > 2")
    page.click("#leader-panel summary")  # closed: no polling behind the operator's back
    polls = page.evaluate("window.leisaac.calibration.polls")
    time.sleep(0.6)
    assert page.evaluate("window.leisaac.calibration.polls") == polls
    page.click("#leader-panel summary")  # reopened: the live positions resume
    page.wait_for_function(f"window.leisaac.calibration.polls > {polls + 2}")
    bus.unplug()
    expect(page.locator("#leader-error")).to_contain_text("leader arm")
    expect(page.locator("#leader-error")).to_contain_text("start again")
    expect(page.locator("#leader-form")).to_be_visible()
    panel_screenshot(page, "calibration-5-unplugged")
    polls = page.evaluate("window.leisaac.calibration.polls")
    time.sleep(0.6)
    assert page.evaluate("window.leisaac.calibration.polls") == polls
