"""A newcomer's first hour in a laptop's window (1280x720), issue 23: the first screen says
what to do and shows Start without scrolling, a past push failure is not shown again as news,
and the start form's messages are in the page's words (its labels, its Resume checkbox),
wrapped inside their panel. Real server, real Chromium."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    LAPTOP,
    SCREENSHOTS,
    ConsoleLog,
    LiveServer,
    make_server,
    screenshot,
    wait_ready,
)
from tests.hub.handmade_dataset import write_dataset
from tests.support.live_server import free_port


def _render_cost_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A measured render cost under which the form's default camera size does not hold 30 fps:
    the form then shows its warning, the tallest the first screen gets (the doctor's own
    measurement is tested in tests/test_doctor.py)."""
    from leisaac_core.sim.mujoco import cost

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sizes = [(640, 480, 21.0), (480, 360, 14.0), (320, 240, 7.0)]
    cost.cache_path().parent.mkdir(parents=True)
    cost.cache_path().write_text(
        json.dumps(
            {
                "cpu": cost.cpu_model(),
                "versions": cost.versions(),
                "fps": 30,
                "headroom": 0.5,
                "sizes": [{"width": w, "height": h, "tick_ms": t} for w, h, t in sizes],
                "largest_holding": "480x360",
            }
        )
    )


def test_first_screen_says_what_to_do_and_shows_start_without_scrolling(
    live_server: LiveServer,
    laptop_page: Page,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _render_cost_cache(tmp_path, monkeypatch)
    page = laptop_page
    page.goto(live_server.url + "/")
    wait_ready(page)
    expect(page.locator("#camera-hint")).to_contain_text("will not hold 30 fps")

    # Start is on the first screen, whole, without scrolling.
    box = page.locator("#btn-start").bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP[1], box
    assert page.evaluate("window.scrollY") == 0

    # The guide: what a session is, where datasets go (this server's folder), the ways to
    # drive the arm.
    guide = page.locator("#guide")
    expect(guide).to_be_visible()
    expect(guide).to_contain_text("A session")
    expect(guide).to_contain_text(f"{live_server.settings.dataset_root}/<namespace>/<name>")
    for device in ("scripted", "keyboard", "gamepad", "so101_leader"):
        expect(guide).to_contain_text(device)

    # The repo id is empty and says so: its placeholder reads as an example, not a value,
    # and the hint names the folder the dataset goes to.
    repo = page.locator("#f-repo")
    expect(repo).to_have_value("")
    assert repo.get_attribute("placeholder").startswith("namespace/name, e.g.")
    page.fill("#f-repo", "alice/first")
    hint = page.locator("#repo-hint")
    expect(hint).to_contain_text("Saved on the server in ")
    expect(hint).to_contain_text("/datasets/alice/first")  # the root's end: the whole is long
    expect(hint).to_have_attribute("title", f"{live_server.settings.dataset_root}/alice/first")

    screenshot(page, "first-hour-first-screen-1280")

    # Hidden, it stays hidden on the next visit; "Guide" brings it back, and that is kept too.
    page.click("#guide-dismiss")
    expect(guide).to_be_hidden()
    page.reload()
    wait_ready(page)
    expect(guide).to_be_hidden()
    page.click("#guide-show")
    expect(guide).to_be_visible()
    page.reload()
    wait_ready(page)
    expect(guide).to_be_visible()


@pytest.fixture
def failed_push_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose last push failed (its Hub endpoint is a closed port) before any page
    was opened."""
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
    root = tmp_path / "datasets"
    write_dataset(root / "alice" / "pick_orange", episodes=1)
    server = make_server(root, hub_endpoint=f"http://127.0.0.1:{free_port()}").start()
    with server.client() as http:
        assert http.put("/api/hub/token", json={"token": "hf_0123456789abcdef"}).is_success
        assert http.post("/api/datasets/alice/pick_orange/push", json={}).status_code == 202
        deadline = time.monotonic() + 60
        while not any(e["kind"] == "push_failed" for e in http.get("/api/session/events").json()):
            assert time.monotonic() < deadline, "the push did not fail"
            time.sleep(0.1)
    yield server
    server.stop()


@pytest.mark.parametrize("tab", ["record", "datasets", "fleet"])
def test_a_past_push_failure_is_not_shown_again_on_a_fresh_page(
    failed_push_server: LiveServer, laptop_page: Page, tab: str
) -> None:
    page = laptop_page
    page.goto(f"{failed_push_server.url}/#{tab}")
    wait_ready(page)
    # The history is in the events list (the socket's hello was handled)...
    failed = page.locator('#events li[data-kind="push_failed"]')
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("Cannot reach the Hub")
    # ...and is not news: no toast, no failure in the push panel of a dataset opened now.
    expect(page.locator("#toasts .toast")).to_have_count(0)
    if tab == "datasets":
        page.locator('#datasets-table tr[data-repo="alice/pick_orange"]').click()
        expect(page.locator("#push-form")).to_be_visible()
        expect(page.locator("#push-progress")).to_be_hidden()
    expect(page.locator("#toasts .toast")).to_have_count(0)


@pytest.fixture
def existing_dataset_server(tmp_path: Path) -> Iterator[LiveServer]:
    # A long dataset folder: its path must wrap inside the form's panel.
    root = tmp_path / "a-dataset-root-with-a-rather-long-name-as-on-a-shared-workstation"
    write_dataset(root / "alice" / "pick_orange", episodes=1)
    server = make_server(root).start()
    yield server
    server.stop()


def _error_fits(page: Page, selector: str) -> None:
    overflow = page.eval_on_selector(selector, "e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"{selector} runs {overflow} px out of its box"


def test_start_form_messages_are_in_the_page_words(
    existing_dataset_server: LiveServer, laptop_page: Page, console: ConsoleLog
) -> None:
    console.allow(r"status of (422|409)")  # the refused starts, on purpose
    page = laptop_page
    page.goto(existing_dataset_server.url + "/")
    wait_ready(page)
    error = page.locator("#start-error")

    # A repo id with spaces: the spaces are the problem, and the fix is given.
    page.fill("#f-repo", "my data/pick one")
    page.click("#btn-start")
    expect(error).to_have_text(
        "Dataset repo id “my data/pick one” has spaces; use _ or - instead, e.g. my_data/pick_one."
    )
    # A path: no namespace before the "/" (not "'' is not allowed").
    page.fill("#f-repo", "/etc")
    page.click("#btn-start")
    expect(error).to_contain_text("has no namespace before the “/”")
    expect(error).not_to_contain_text("''")

    # A field the server refuses: named by its label, without pydantic's "Value error,".
    page.fill("#f-repo", "alice/new_one")
    page.fill("#f-episodes", "0")
    page.click("#btn-start")
    expect(error).to_contain_text("Episodes: ")
    expect(error).not_to_contain_text("episodes:")
    expect(error).not_to_contain_text("Value error")
    expect(page.locator("label:has(#f-episodes)")).to_have_class("attention")
    page.fill("#f-episodes", "1")

    # An existing dataset: the page's Resume checkbox, marked; its long path (in the hint
    # under the field) wraps inside the panel.
    page.fill("#f-repo", "alice/pick_orange")
    page.click("#btn-start")
    expect(error).to_contain_text("“alice/pick_orange” already exists")
    expect(error).to_contain_text("Tick Resume to add episodes to it")
    expect(error).not_to_contain_text("resume=True")
    expect(error).not_to_contain_text('"resume"')
    expect(page.locator("label:has(#f-resume)")).to_have_class("check attention")
    _error_fits(page, "#start-error")
    expect(page.locator("#repo-hint")).to_contain_text("a-dataset-root-with-a-rather-long-name")
    _error_fits(page, "#repo-hint")  # one long folder name: kept whole, wrapped
    page.locator("#start-panel").screenshot(path=str(SCREENSHOTS / "first-hour-start-error.png"))
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle")
