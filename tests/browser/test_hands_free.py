"""Hands-free in Chromium: the leader arm (simulated STS3215 bus on a pty) ends an episode
with the gripper held closed at the rest pose, and the page shows it as a success from the
gesture; the page tells the operator about gestures, focus and foot pedals. Real server,
MuJoCo, leader device."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, screenshot
from tests.support.leader_poses import AWAY, CALIBRATION, REST, raw_ticks
from tests.support.sts3215_bus import SimulatedBus


def test_leader_gesture_marks_success_on_the_page(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    calibration = tmp_path / "leader.json"
    calibration.write_text(json.dumps(CALIBRATION))
    with SimulatedBus("pty") as arm, httpx.Client(base_url=live_server.url, timeout=120) as http:
        arm.set_positions(raw_ticks(REST))
        page.goto(live_server.url + "/")
        expect(page.locator("#conn")).to_have_text("live")
        hotkeys = page.locator(".hotkeys")
        expect(hotkeys).to_contain_text("gripper fully closed for 1 s at the rest pose = success")
        expect(hotkeys).to_contain_text("foot pedal")
        expect(page.locator("#focus-note")).to_contain_text("focus")
        body = {
            "episodes": 1,
            "env": {"task": "so101_pick_orange", "camera_width": 64, "camera_height": 48},
            "devices": [
                {"type": "so101_leader", "port": arm.url, "calibration_path": str(calibration)}
            ],
            "dataset": {"repo_id": "op/pedal-free"},
            "episode": {"time_s": 120},
        }
        assert http.post("/api/session", json=body).status_code == 201
        expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=60_000)
        arm.set_positions(raw_ticks(AWAY))
        time.sleep(0.3)
        arm.set_positions(raw_ticks(REST))  # back at rest, gripper closed: hold
        succeeded = page.locator('#events li[data-kind="episode_succeeded"]')
        expect(succeeded).to_contain_text("leader-arm gesture (success)", timeout=30_000)
        expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
            1, timeout=60_000
        )
        screenshot(page, "hands-free-gesture-success")
