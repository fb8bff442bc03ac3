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
