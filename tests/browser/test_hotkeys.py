"""Hotkeys drive a whole session with one hand: B start, left arrow re-record, R failure,
right arrow skips the reset wait, N success, Esc stop; none fires while typing in a field.
Audio cues follow the events, and the mute toggle is remembered."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, fill_start_form, screenshot

EPISODE_TIMEOUT_MS = 120_000


def events(page: Page, kind: str):  # noqa: ANN201 - a Playwright locator
    return page.locator(f'#events li[data-kind="{kind}"]')


def wait_phase(page: Page, phase: str) -> None:
    expect(page.locator("#phase")).to_have_attribute(
        "data-phase", phase, timeout=EPISODE_TIMEOUT_MS
    )


def test_hotkeys_drive_a_session(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "tester/keys", episodes=2)
    page.fill("#f-reset-time", "30")

    # Typing hotkey letters into a field types them; nothing starts.
    page.fill("#f-note", "")
    page.type("#f-note", "bn r")
    expect(page.locator("#f-note")).to_have_value("bn r")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")

    # B starts the session with the form's values.
    page.locator("h2").first.click()  # leave the field
    page.keyboard.press("b")
    wait_phase(page, "recording")
    expect(page.locator("#episode")).to_have_text("Episode 1 of 2")

    # Left arrow: re-record (discarded, same episode number again, after the reset wait).
    page.keyboard.press("ArrowLeft")
    expect(events(page, "episode_discarded")).to_have_count(1)
    wait_phase(page, "resetting")
    expect(page.locator("#reset-row")).to_be_visible()
    expect(page.locator("#reset-countdown")).to_contain_text("s")
    screenshot(page, "hotkeys-reset-wait")

    # Right arrow during the reset wait: the next attempt starts now.
    page.keyboard.press("ArrowRight")
    wait_phase(page, "recording")
    expect(page.locator("#episode")).to_have_text("Episode 1 of 2")

    # R: failure.
    page.keyboard.press("r")
    expect(events(page, "episode_failure")).to_have_count(1)
    expect(page.locator("#count-failed")).to_have_text("1")
    wait_phase(page, "resetting")
    page.keyboard.press("ArrowRight")
    wait_phase(page, "recording")

    # N: success (the operator's override of the automatic rule); the episode is saved.
    page.keyboard.press("n")
    expect(events(page, "episode_succeeded")).to_have_count(1)
    expect(events(page, "episode_saved")).to_have_count(1, timeout=EPISODE_TIMEOUT_MS)
    expect(page.locator("#count-saved")).to_have_text("1")
    wait_phase(page, "resetting")
    page.keyboard.press("ArrowRight")
    wait_phase(page, "recording")
    expect(page.locator("#episode")).to_have_text("Episode 2 of 2")

    # Esc: stop. The episode under way is discarded, the session ends.
    page.keyboard.press("Escape")
    expect(events(page, "session_stopped")).to_have_count(1)
    wait_phase(page, "idle")
    screenshot(page, "hotkeys-stopped")

    played = page.evaluate("window.leisaac.audio.played")
    for cue in ("start", "reset", "success"):
        assert cue in played, f"audio cue {cue!r} was not played: {played}"


def test_mute_is_remembered(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    mute = page.locator("#mute")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(mute).to_contain_text("off")
    page.reload()
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#conn")).to_have_text("live")


def test_start_hotkey_without_repo_id_explains(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    expect(page.locator("#f-task option")).not_to_have_count(0)
    page.fill("#f-repo", "")
    page.locator("h2").first.click()
    page.keyboard.press("b")
    expect(page.locator("#start-error")).to_contain_text("namespace/name")
    expect(page.locator("#f-repo")).to_be_focused()
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")
