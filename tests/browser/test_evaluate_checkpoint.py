"""Evaluate a checkpoint folder from the page (issue 27): the operator names the folder in
the start form, the page says the policy server is starting while the session loads it, the
report shows one row per rollout, and a row's link plays that episode in the Datasets view.
Real server, MuJoCo, Chromium, and a small random ACT served by `policy serve --policy` in
the lerobot venv as the session's child process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, fill_start_form, make_server, screenshot
from tests.compat.conftest import lerobot_python, tiny_act_checkpoint  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.compat]


@pytest.fixture
def lerobot_server(tmp_path: Path, lerobot_python: Path) -> Iterator[LiveServer]:  # noqa: F811
    server = make_server(tmp_path / "datasets", policy_python=lerobot_python).start()
    yield server
    server.stop()


def test_evaluate_a_checkpoint_folder_from_the_page(
    lerobot_server: LiveServer,
    tiny_act_checkpoint: Path,  # noqa: F811
    lerobot_python: Path,  # noqa: F811
    page: Page,
) -> None:
    page.goto(lerobot_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "eval/ckpt", episodes=2)
    page.select_option("#f-device", "policy")
    expect(page.locator("#f-checkpoint")).to_be_visible()
    expect(page.locator("#f-policy-python")).to_be_visible()
    page.fill("#f-checkpoint", str(tiny_act_checkpoint))
    page.fill("#f-policy-python", str(lerobot_python))
    page.select_option("#f-takeover", "none")
    page.select_option("#f-mode", "evaluate")
    page.fill("#f-seed", "0")
    page.fill("#f-episode-time", "1")
    page.select_option("#f-realtime", "false")
    body = page.evaluate("window.leisaac.startForm.body()")
    assert body["policy"] == {
        "type": "checkpoint",
        "path": str(tiny_act_checkpoint),
        "python": str(lerobot_python),
    }
    page.click("#btn-start")
    # Loading torch and the policy takes seconds: the page says what it waits for.
    expect(page.locator("#session-message")).to_contain_text("starting policy server")
    expect(page.locator('#events li[data-kind="policy_server_ready"]')).to_have_count(
        1, timeout=240_000
    )
    expect(page.locator('#events li[data-kind="session_finished"]')).to_have_count(
        1, timeout=240_000
    )

    report = page.locator("#eval-report")
    expect(report).to_be_visible()
    expect(report.locator(".eval-report-summary")).to_have_text(
        re.compile(r"^Success 0/2 \(95% Wilson 0 %–\d+ %\)$")
    )
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("timeout")
    link = rows.nth(1).locator("a")
    expect(link).to_have_text("eval/ckpt_failures #1")
    expect(link).to_have_attribute("href", "/#datasets/eval/ckpt_failures/1")
    screenshot(page, "evaluate-checkpoint-report")

    link.click()
    expect(page.locator("#view-datasets")).to_be_visible()
    expect(page.locator("#player-title")).to_have_text("eval/ckpt_failures · episode 1 · timeout")
    expect(page.locator('#episodes-table tr[data-episode="1"]')).to_have_attribute(
        "aria-selected", "true"
    )
