"""The push panel against a loopback Hub-compatible server: enter the Hugging Face token
(kept on the server), push with tags and private, watch progress, get the URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_DISABLE_XET"] = "1"  # the fake hub speaks LFS "basic" only

from huggingface_hub import constants  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.helpers import LiveServer, make_server, screenshot  # noqa: E402
from tests.hub.handmade_dataset import write_dataset  # noqa: E402
from tests.support.fake_hub import FakeHub  # noqa: E402

HF_TOKEN = "hf_BrowserPushToken0123456789abcdef"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    # No developer login or environment token may leak in: the page must ask for one.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    with FakeHub(lfs_threshold=64 * 1024) as server:
        server.add_token(HF_TOKEN, user="alice", write=True)
        yield server


@pytest.fixture
def push_server(tmp_path: Path, hub: FakeHub) -> Iterator[LiveServer]:
    write_dataset(tmp_path / "datasets" / "alice" / "pick_orange", episodes=2)
    server = make_server(tmp_path / "datasets", hub_endpoint=hub.endpoint).start()
    yield server
    server.stop()


def test_push_from_the_panel(push_server: LiveServer, hub: FakeHub, page: Page) -> None:
    page.goto(push_server.url + "/#datasets")
    page.locator('#datasets-table tr[data-repo="alice/pick_orange"]').click()
    expect(page.locator("#episodes-table tbody tr")).to_have_count(2)
    expect(page.locator("#push-form")).to_be_visible()

    # No token on the server yet: the panel asks for one; once saved it is never shown.
    expect(page.locator("#hub-token-form")).to_be_visible()
    page.fill("#hub-token", HF_TOKEN)
    page.click("#hub-token-form button")
    expect(page.locator("#hub-token-status")).to_contain_text("set")
    expect(page.locator("#hub-token-form")).to_be_hidden()
    assert HF_TOKEN not in page.content()

    page.fill("#push-tags", "so101, sim")
    page.check("#push-private")
    page.click("#push-start")
    link = page.locator("#push-url a")
    expect(link).to_be_visible(timeout=120_000)
    expect(link).to_have_attribute("href", hub.endpoint + "/datasets/alice/pick_orange")
    expect(page.locator("#push-bar")).to_have_attribute("style", "width: 100%;")
    screenshot(page, "push-done")

    repo = hub.repo("alice/pick_orange")
    assert repo.private
    assert "meta/info.json" in hub.files_at("alice/pick_orange", "v3.0")


def test_change_and_forget_the_token_and_push_errors_read_as_errors(
    push_server: LiveServer, hub: FakeHub, laptop_page: Page
) -> None:
    """A wrong token is saved (the page cannot tell): the push fails, said as an error in
    the panel; the token is changed on the page and the push goes through; then forgotten."""
    page = laptop_page
    page.goto(push_server.url + "/#datasets")
    page.locator('#datasets-table tr[data-repo="alice/pick_orange"]').click()
    expect(page.locator("#hub-token-form")).to_be_visible()
    page.fill("#hub-token", "hf_NotTheRightToken0000000000000000")
    page.click("#hub-token-save")
    expect(page.locator("#hub-token-status")).to_have_text("Token: set (entered on this page).")

    page.click("#push-start")
    status = page.locator("#push-status")
    expect(status).to_contain_text("failed", timeout=120_000)
    expect(status).to_have_class("push-status form-error")
    expect(status).to_have_attribute("role", "alert")
    screenshot(page, "push-failed-1280")

    # Change it: the form comes back (with a way out), the new token replaces the old one.
    page.click("#hub-token-change")
    expect(page.locator("#hub-token-form")).to_be_visible()
    page.click("#hub-token-cancel")
    expect(page.locator("#hub-token-form")).to_be_hidden()
    page.click("#hub-token-change")
    page.fill("#hub-token", HF_TOKEN)
    page.click("#hub-token-save")
    expect(page.locator("#hub-token-form")).to_be_hidden()
    page.click("#push-start")
    expect(page.locator("#push-url a")).to_be_visible(timeout=120_000)
    expect(status).to_have_class("push-status muted")
    assert hub.files_at("alice/pick_orange", "v3.0")

    # Forget it: the server has no token any more and the panel asks for one.
    page.click("#hub-token-forget")
    expect(page.locator("#hub-token-form")).to_be_visible()
    expect(page.locator("#hub-token-set")).to_be_hidden()
    with push_server.client() as http:
        assert http.get("/api/hub/token").json() == {"configured": False, "source": None}
    screenshot(page, "push-token-forgotten-1280")
