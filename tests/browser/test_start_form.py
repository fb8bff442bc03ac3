"""Every session option on the form reaches the server: codec, robot identity, kept
failures, auto-push."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, fill_start_form


def test_advanced_options_reach_the_session(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "form/options", episodes=1)
    page.select_option("#f-codec", "av1")
    page.select_option("#f-identity", "leisaac")
    page.check("#f-keep-failures")
    page.fill("#f-episode-time", "0.5")  # far too short: every attempt times out
    page.click("#btn-start")
    expect(page.locator("#phase")).not_to_have_attribute("data-phase", "idle", timeout=30_000)
    with live_server.client() as http:
        # Timeouts are kept, labelled, in the side dataset; stop after the first one lands.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#events li')].some(li => li.dataset.kind === 'episode_timeout')",
            timeout=60_000,
        )
        page.keyboard.press("Escape")
        expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=30_000)
        kept = http.get("/api/datasets/form/options_failures/episodes").json()
        assert kept and kept[0]["outcome"] == "timeout"
    # The main dataset has no episode yet; the side dataset shows the codec that was asked for.
    info_path = (
        live_server.settings.dataset_root / "form" / "options_failures" / "meta" / "info.json"
    )
    info = json.loads(info_path.read_text())
    assert info["features"]["observation.images.front"]["info"]["video.codec"] == "av1"
    assert info["robot_type"] == "so101_follower"  # LeIsaac's identity, as chosen


def test_camera_size_hint_from_the_measured_render_cost(
    live_server: LiveServer, page: Page, tmp_path, monkeypatch
) -> None:
    """The figures are a written cache file (the doctor's measurement itself is tested in
    tests/test_doctor.py); the page's logic and the one-click switch are what is tested."""
    from leisaac_core.sim.mujoco import cost

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    measured = {
        "cpu": cost.cpu_model(),
        "versions": cost._versions(),
        "fps": 30,
        "headroom": 0.5,
        "sizes": [
            {"width": 640, "height": 480, "tick_ms": 21.0},
            {"width": 480, "height": 360, "tick_ms": 14.0},
            {"width": 320, "height": 240, "tick_ms": 7.0},
        ],
        "largest_holding": "480x360",
    }
    cost.cache_path().parent.mkdir(parents=True)
    cost.cache_path().write_text(json.dumps(measured))
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    page.click(".advanced summary")
    page.fill("#f-fps", "30")
    page.fill("#f-cam-w", "640")
    page.fill("#f-cam-h", "480")
    hint = page.locator("#camera-hint")
    expect(hint).to_contain_text("640x480 (21.0 ms a tick) will not hold 30 fps")
    expect(hint).to_contain_text("480x360 is the largest that does")
    page.locator("#start-panel").screenshot(path=str(tmp_path / "camera-hint.png"))
    page.click("#use-suggested-size")
    expect(page.locator("#f-cam-w")).to_have_value("480")
    expect(page.locator("#f-cam-h")).to_have_value("360")
    expect(hint).to_have_text("Cameras 480x360 hold 30 fps on this machine (14.0 ms a tick).")
    page.fill("#f-fps", "15")  # a longer period: 640x480's 21 ms fits half of 66 ms
    page.fill("#f-cam-w", "640")
    page.fill("#f-cam-h", "480")
    expect(hint).to_contain_text("hold 15 fps")


def test_camera_size_hint_for_a_two_arm_task_uses_its_own_figures(
    live_server: LiveServer, page: Page, tmp_path, monkeypatch
) -> None:
    """Three cameras cost more than two: the two-arm task's hint comes from the doctor's
    two-arm figures (a written cache file, as above), and without them there is none."""
    from leisaac_core.sim.mujoco import cost

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    one_arm = [
        {"width": 640, "height": 480, "tick_ms": 10.0},
        {"width": 320, "height": 240, "tick_ms": 5.0},
    ]
    measured = {
        "cpu": cost.cpu_model(),
        "versions": cost._versions(),
        "fps": 30,
        "headroom": 0.5,
        "sizes": one_arm,
        "largest_holding": "640x480",
        "two_arm_sizes": [
            {"width": 640, "height": 480, "tick_ms": 18.0},
            {"width": 320, "height": 240, "tick_ms": 8.0},
        ],
        "two_arm_largest_holding": "320x240",
    }
    cost.cache_path().parent.mkdir(parents=True)
    cost.cache_path().write_text(json.dumps(measured))
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    page.click(".advanced summary")
    page.fill("#f-fps", "30")
    page.fill("#f-cam-w", "640")
    page.fill("#f-cam-h", "480")
    hint = page.locator("#camera-hint")
    page.select_option("#f-task", "so101_pick_orange")
    expect(hint).to_have_text("Cameras 640x480 hold 30 fps on this machine (10.0 ms a tick).")
    page.select_option("#f-task", "bi_so101_clean_toy_table")
    expect(hint).to_contain_text("Three cameras of 640x480 (18.0 ms a tick) will not hold 30 fps")
    expect(hint).to_contain_text("320x240 is the largest that does")
    cost.cache_path().write_text(json.dumps({**measured, "two_arm_sizes": []}))
    page.reload()
    expect(page.locator("#conn")).to_have_text("live")
    page.select_option("#f-task", "bi_so101_clean_toy_table")
    expect(hint).to_be_hidden()
