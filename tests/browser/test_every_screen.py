"""Every screen at a laptop's 1280x720 and at 1920x1080, in the light and the dark theme
(issue 23): Record (first visit with its guide, then a session running), Datasets (a dataset
and an episode open, the push panel), Fleet, and the login page. On each: nothing runs out of
its box or out of the window sideways, and every control has a name. The screenshots are
kept under tests/artifacts/screenshots/screens/ to be looked at. Real server, real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr

from tests.browser.helpers import (
    CAMERA_H,
    CAMERA_W,
    LAPTOP,
    SCREENSHOTS,
    TOKEN,
    WIDE,
    ConsoleLog,
    LiveServer,
    make_server,
    wait_ready,
)
from tests.support.live_server import session_body
from tests.support.recorded import record_dataset

SCREENS = SCREENSHOTS / "screens"
SIZES = {"1280x720": LAPTOP, "1920x1080": WIDE}

# What is wrong on the shown page, in words: text wider than its box (where the box does
# not scroll), anything reaching out of its panel or out of the window sideways, a control
# without a name.
PROBLEMS = """() => {
  const problems = [];
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const name = (e) => e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`;
  const root = document.documentElement;
  if (root.scrollWidth > innerWidth) problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${innerWidth}`);
  const scrolls = (e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const inScroller = (e) => { for (let p = e.parentElement; p; p = p.parentElement) if (scrolls(p)) return true; return false; };
  const controls = new Set(["INPUT", "SELECT", "TEXTAREA", "CANVAS", "VIDEO", "IMG", "OPTION"]);
  for (const e of document.querySelectorAll("body *")) {
    if (!shown(e) || controls.has(e.tagName) || inScroller(e)) continue;
    const style = getComputedStyle(e);
    if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && !["hidden", "clip"].includes(style.overflowX) && !scrolls(e)) {
      problems.push(`${name(e)} runs ${e.scrollWidth - e.clientWidth} px out of its box: "${e.textContent.trim().slice(0, 60)}"`);
    }
  }
  for (const panel of document.querySelectorAll(".panel, .login-card")) {
    if (!shown(panel)) continue;
    const box = panel.getBoundingClientRect();
    for (const e of panel.querySelectorAll("*")) {
      if (!shown(e) || inScroller(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.width && (r.right > box.right + 1 || r.left < box.left - 1)) {
        problems.push(`${name(e)} reaches out of its panel ${name(panel)} (${Math.round(r.left)}..${Math.round(r.right)} vs ${Math.round(box.left)}..${Math.round(box.right)})`);
      }
    }
  }
  for (const e of document.querySelectorAll("input, select, textarea, button")) {
    if (!shown(e) || e.type === "hidden") continue;
    const named = e.labels?.length || e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") ||
      (e.tagName === "BUTTON" && e.textContent.trim());
    if (!named) problems.push(`${name(e)} has no label`);
  }
  return problems;
}"""


@pytest.fixture
def screens_server(tmp_path: Path) -> Iterator[LiveServer]:
    root = tmp_path / "datasets"
    record_dataset(root, "tester/screens")
    server = make_server(root).start()
    yield server
    server.stop()


def _look(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"))
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays at the top of the whole
    page.screenshot(path=str(SCREENS / f"{name}-full.png"), full_page=True)
    problems = page.evaluate(PROBLEMS)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def _pages(browser: Browser, console: ConsoleLog) -> Iterator[tuple[str, Page]]:
    for theme in ("light", "dark"):
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=theme
            )
            page = context.new_page()
            page.on("console", console.on_console)
            page.on("pageerror", console.on_page_error)
            page.set_default_timeout(30_000)
            try:
                yield f"{size}-{theme}", page
            finally:
                context.close()


def test_every_screen_at_both_sizes_in_both_themes(
    screens_server: LiveServer, browser: Browser, console: ConsoleLog
) -> None:
    url = screens_server.url
    for label, page in _pages(browser, console):
        page.goto(url + "/")
        wait_ready(page)
        expect(page.locator("#guide")).to_be_visible()
        _look(page, f"record-first-visit-{label}")

        page.goto(url + "/#datasets")
        page.locator('#datasets-table tr[data-repo="tester/screens"] td').nth(1).click()
        page.locator('#episodes-table tr[data-episode="0"]').click()
        expect(page.locator("#player-videos video")).to_have_count(2)
        page.wait_for_function("window.leisaac.datasets.plot.signals?.timestamps?.length > 5")
        _look(page, f"datasets-episode-{label}")  # the player, scrolled to when opened
        page.locator("#push-panel").scroll_into_view_if_needed()
        _look(page, f"datasets-push-{label}")

        page.goto(url + "/#fleet")
        expect(page.locator("#fl-task option")).not_to_have_count(0)
        _look(page, f"fleet-{label}")
    assert not console.unexpected(), console.unexpected()


def test_a_running_session_at_both_sizes_in_both_themes(
    live_server: LiveServer, browser: Browser, console: ConsoleLog
) -> None:
    session = session_body(
        "tester/running",
        episodes=1000,  # still running when the last screenshot is taken
        episode={"realtime": True, "time_s": 600},
        env={"camera_width": CAMERA_W, "camera_height": CAMERA_H},
    )
    with live_server.client() as http:
        assert http.post("/api/session", json=session).status_code == 201
        try:
            for label, page in _pages(browser, console):
                page.goto(live_server.url + "/")
                wait_ready(page)
                expect(page.locator("#phase")).not_to_have_attribute("data-phase", "idle")
                # A first visit too: the guide (not dismissed) leaves the cameras on top.
                expect(page.locator("#guide")).to_be_hidden()
                page.wait_for_function(
                    "(f => f.cameras > 0 && !f.stalled)(window.leisaac.live.cameras.figures())"
                )
                _look(page, f"record-running-{label}")
        finally:
            http.post("/api/session/stop")
    assert not console.unexpected(), console.unexpected()


@pytest.fixture
def login_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = make_server(tmp_path / "datasets", token=SecretStr(TOKEN)).start()
    yield server
    server.stop()


def test_the_login_page_at_both_sizes_in_both_themes(
    login_server: LiveServer, browser: Browser, console: ConsoleLog
) -> None:
    for label, page in _pages(browser, console):
        page.goto(login_server.url + "/")
        expect(page.locator("#token")).to_be_focused()
        _look(page, f"login-{label}")
    assert not console.unexpected(), console.unexpected()
