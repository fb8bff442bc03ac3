"""Every problem is visible: a start the server refuses explains itself in the form, and
the live-state problems (device unplugged, encoder behind, disk nearly full, session
error) each raise a banner that goes away when the problem does."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import ConsoleLog, LiveServer, fill_start_form


def test_refused_start_says_what_to_fix(
    live_server: LiveServer, page: Page, console: ConsoleLog
) -> None:
    # Chromium logs every 4xx answer as a failed resource; these two are the point of the test.
    console.allow(r"status of 409 .*api/session")
    console.allow(r"status of 422 .*api/session")
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "tester/refused")

    # An invalid field: the server's 422 detail names the field.
    page.fill("#f-cam-w", "127")
    page.click("#btn-start")
    expect(page.locator("#start-error")).to_contain_text("even")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")

    # A leader arm on a port that does not exist: the start fails with the reason.
    page.fill("#f-cam-w", "128")
    page.select_option("#f-device", "so101_leader")
    page.fill("#f-port", "/dev/ttyNOPE")
    page.click("#btn-start")
    expect(page.locator("#start-error")).to_contain_text("leader arm", timeout=60_000)
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")


# The conditions below cannot be produced on demand on a test machine (a full disk, a
# starving encoder); the test feeds the page the snapshot the server would send, through
# the same render path the websocket uses.
PROBLEM_SNAPSHOT = {
    "phase": "recording",
    "tick": 100,
    "message": "",
    "task": "so101_lift_cube",
    "device": "so101_leader",
    "repo_id": "tester/problems",
    "episode_number": 1,
    "episodes_target": 2,
    "loop_advice": "This machine cannot hold 30 fps with 640x480 cameras: try 320x240",
    "timing": {
        "target_fps": 30,
        "achieved_fps": 29.9,
        "period_p50_ms": 33.3,
        "period_p99_ms": 35.0,
        "jitter_ms": 1.0,
        "overruns": 0,
    },
    "device_health": {"connected": False, "message": "port /dev/ttyACM0 vanished"},
    "recorder": {
        "cameras": {"front": {"backlog": 80, "dropped": 12}, "wrist": {"backlog": 3, "dropped": 0}}
    },
}
PROBLEM_SYSTEM = {
    "cpu_percent": 20.0,
    "memory_percent": 30.0,
    "disk_free_bytes": 300 * 1024**2,
    "disk_free_percent": 1.0,
}


def test_problem_banners_follow_the_state(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    page.wait_for_function("window.leisaac.ready === true")
    live_server.stop()  # so the real (healthy) status stream does not overwrite the feed
    page.evaluate(
        "([s, sys]) => window.leisaac.live.setSnapshot(s, sys)", [PROBLEM_SNAPSHOT, PROBLEM_SYSTEM]
    )
    banners = page.locator("#banners")
    expect(banners.locator('[data-banner="device"]')).to_contain_text("vanished")
    expect(banners.locator('[data-banner="encoder"]')).to_contain_text("12 dropped")
    expect(banners.locator('[data-banner="disk"]')).to_contain_text("300 MB")
    expect(banners.locator('[data-banner="loop-load"]')).to_contain_text("try 320x240")
    expect(page.locator('#health tr[data-key="encoder"] .chip')).to_have_text("Stalled")
    expect(page.locator('#health tr[data-key="device"] .chip')).to_have_text("Stalled")

    error = {
        **PROBLEM_SNAPSHOT,
        "phase": "error",
        "message": "servo 3 stopped answering",
        "device_health": {"connected": True},
        "recorder": {},
        "loop_advice": "",
    }
    page.evaluate(
        "([s, sys]) => window.leisaac.live.setSnapshot(s, sys)",
        [error, {**PROBLEM_SYSTEM, "disk_free_bytes": 50 * 1024**3, "disk_free_percent": 50}],
    )
    expect(banners.locator('[data-banner="session-error"]')).to_contain_text("servo 3")
    expect(banners.locator('[data-banner="session-error"] button')).to_have_text("Recover")
    expect(banners.locator('[data-banner="device"]')).to_have_count(0)
    expect(banners.locator('[data-banner="encoder"]')).to_have_count(0)
    expect(banners.locator('[data-banner="disk"]')).to_have_count(0)
    expect(banners.locator('[data-banner="loop-load"]')).to_have_count(0)


def test_the_first_tick_of_a_session_is_not_a_stall(live_server: LiveServer, page: Page) -> None:
    """The first snapshots of a session have no loop period yet (the server's LoopTiming with
    no period: achieved fps 0.0): the health table says it is measuring, not stalled, so no
    "stalled" banner flashes at every start (issue 23: every message the page shows). The
    page's own grading functions, called in the page (the live stream would overwrite a fed
    snapshot, and a stopped server makes every figure stale)."""
    page.goto(live_server.url + "/")
    page.wait_for_function("window.leisaac.ready === true")
    no_period = {
        "target_fps": 30,
        "achieved_fps": 0.0,
        "period_p50_ms": 0.0,
        "period_p99_ms": 0.0,
        "jitter_ms": 0.0,
        "overruns": 0,
    }
    graded = page.evaluate(
        """async (timing) => {
          const health = await import("/static/js/health.js");
          return {
            loop: health.classifyLoop(timing, "warmup", false),
            jitter: health.classifyJitter(timing, "warmup"),
            frozen: health.classifyLoop(timing, "warmup", true),
            running: health.classifyLoop({...timing, achieved_fps: 2, period_p50_ms: 500}, "recording", false),
          };
        }""",
        no_period,
    )
    assert graded["loop"] == {"level": "idle", "text": "measuring…"}
    assert graded["jitter"] == {"level": "idle", "text": "measuring…"}
    # A loop that stops ticking, or runs far too slowly, is still a stall.
    assert graded["frozen"]["level"] == "stalled"
    assert graded["running"]["level"] == "stalled"
