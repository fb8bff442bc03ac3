"""An evaluation whose policy server fails reads as an error on the page (issue 28), in a
laptop's window (1280x720): the errored episode is counted apart (Errors, in red), the
success rate is over the measured episodes only, the events and the session's message say
so, and the episode table labels the errored episode `error`. Real server, MuJoCo, the real
scripted expert over a real policy server that answers malformed actions from episode 2 on,
real Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leisaac_core.policy.server import PolicyServer
from tests.browser.helpers import LiveServer, fill_start_form, make_server, screenshot
from tests.support.faulty_policy import FaultyExpert


@pytest.fixture
def faulty_policy_server(tmp_path: Path) -> Iterator[LiveServer]:
    policy = PolicyServer(FaultyExpert("malformed", episode=2, request=3), port=0).start()
    server = make_server(tmp_path / "datasets", policy_url=policy.url).start()
    yield server
    server.stop()
    policy.stop()


def test_an_errored_evaluation_reads_as_an_error(
    faulty_policy_server: LiveServer, laptop_page: Page
) -> None:
    page = laptop_page
    page.goto(faulty_policy_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "eval/faulty", episodes=2)
    page.select_option("#f-device", "policy")
    page.select_option("#f-takeover", "none")
    page.select_option("#f-mode", "evaluate")
    page.fill("#f-seed", "0")
    page.select_option("#f-realtime", "false")  # each chunk awaited: reproducible
    page.click("#btn-start")
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
        1, timeout=180_000
    )

    error = page.locator('#events li[data-kind="episode_error"]')
    expect(error).to_have_count(1)
    expect(error).to_have_class(re.compile(r"\bev-bad\b"))
    expect(error).to_contain_text("episode 2 error (not counted in the success rate)")
    expect(error).to_contain_text("wrong action size")
    errors = page.locator("#count-errors-item")
    expect(errors).to_be_visible()
    expect(page.locator("#count-errors")).to_have_text("1")
    assert errors.evaluate("e => getComputedStyle(e).color") == page.locator(
        "#session-message"
    ).evaluate("e => getComputedStyle(e).color"), "both in the page's colour for errors"
    # The rate counts the one measured episode (the expert's), not the errored one.
    expect(page.locator("#eval-rate-value")).to_have_text(re.compile(r"^[01]/1 \(95% "))
    message = page.locator("#session-message")
    expect(message).to_have_class(re.compile(r"\bbad\b"))
    expect(message).to_contain_text("1 error (the policy was not measured: not in the rate)")
    expect(page.locator("#last-session")).to_have_text("Last session · eval/faulty")
    # The message (with the report's long path) wraps inside its card: no sideways scroll.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator(".toast-bad", has_text="1 error")).to_have_count(1)
    page.locator(".status-card").scroll_into_view_if_needed()
    screenshot(page, "laptop-evaluation-errors")

    # Every outcome is kept: the errored episode is labelled `error` with the failures.
    page.click("#tab-datasets")
    page.locator('#datasets-table tr[data-repo="eval/faulty_failures"]').click()
    badge = page.locator("#episodes-table tbody .badge", has_text="error")
    expect(badge).to_have_count(1)
    expect(badge).to_have_class(re.compile(r"\bbadge-error\b"))
    screenshot(page, "laptop-evaluation-error-episode")
