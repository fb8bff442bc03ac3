"""A two-arm dataset in the Datasets tab: the joint plot has a panel per arm, the player
shows the three cameras, replay in sim succeeds again from the page, two two-arm datasets
merge while a one-arm one is refused, and the push panel pushes it. Real server, real MuJoCo,
datasets `record` wrote (scripted demonstrator, bi_so101_clean_toy_table)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_DISABLE_XET"] = "1"  # the fake hub speaks LFS "basic" only

from huggingface_hub import constants  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from leisaac_core.dataset import load_episodes  # noqa: E402
from tests.browser.helpers import ConsoleLog, LiveServer, make_server, screenshot  # noqa: E402
from tests.support.fake_hub import FakeHub  # noqa: E402
from tests.support.recorded import record_dataset  # noqa: E402

HF_TOKEN = "hf_TwoArmPushToken0123456789abcdefgh"
CAMERAS = ("left_wrist", "right_wrist", "top")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("two-arms")
    record_dataset(home, "tester/toys", seed=1, task="bi_so101_clean_toy_table")
    record_dataset(home, "tester/cube", seed=3)
    return home


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    with FakeHub(lfs_threshold=64 * 1024) as server:
        server.add_token(HF_TOKEN, user="tester", write=True)
        yield server


@pytest.fixture
def server(recorded: Path, tmp_path: Path, hub: FakeHub) -> Iterator[LiveServer]:
    root = tmp_path / "datasets"
    shutil.copytree(recorded, root)
    shutil.copytree(root / "tester" / "toys", root / "tester" / "toys_again")
    live = make_server(root, hub_endpoint=hub.endpoint).start()
    yield live
    live.stop()


def _open_episode(page: Page, repo: str) -> None:
    page.goto(page.url.split("#")[0] + "#datasets")
    page.locator(f'#datasets-table tr[data-repo="{repo}"] td').nth(1).click()
    page.locator('#episodes-table tr[data-episode="0"]').click()


def _coloured_rows(page: Page) -> list[int]:
    """How many pixels of each quarter of the plot (top to bottom) are drawn in colour."""
    return page.evaluate(
        """() => {
          const c = document.getElementById('plot');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          const quarters = [0, 0, 0, 0];
          for (let y = 0; y < c.height; y += 1) for (let x = 0; x < c.width; x += 2) {
            const i = (y * c.width + x) * 4;
            const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
            if (d[i + 3] > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 80)
              quarters[Math.min(3, Math.floor(4 * y / c.height))] += 1;
          }
          return quarters;
        }"""
    )


def test_two_arm_episode_plots_a_panel_per_arm_and_replays(server: LiveServer, page: Page) -> None:
    page.goto(server.url + "/#datasets")
    _open_episode(page, "tester/toys")
    legend = page.locator("#plot-legend")
    expect(legend).to_contain_text("panels: left, right arm")
    # The six joints once (the same colour for the same joint of either arm), no prefixes.
    expect(legend.locator("span i")).to_have_count(6)
    expect(legend).to_contain_text("shoulder_pan.pos")
    expect(legend).not_to_contain_text("left_shoulder_pan")
    page.wait_for_function("document.getElementById('plot').width > 100")
    top, upper_mid, lower_mid, bottom = _coloured_rows(page)
    assert top + upper_mid > 500 and lower_mid + bottom > 500, "both arms' panels have curves"
    expect(page.locator("#player-videos video")).to_have_count(3)

    page.click("#player-replay")
    result = page.locator("#replay-result")
    expect(result).to_have_attribute("data-state", "same", timeout=180_000)
    expect(result).to_contain_text("succeeds again")
    captions = page.locator("#player-videos figcaption")
    expect(captions).to_have_text(
        [f"{camera} · {kind}" for camera in CAMERAS for kind in ("recorded", "replayed")]
    )
    for width, height, name in ((1280, 720, "1280"), (1920, 1080, "1920")):
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#plot").scroll_into_view_if_needed()
        screenshot(page, f"two-arm-episode-{name}")


def test_two_arm_datasets_merge_and_push_a_one_arm_one_is_refused(
    server: LiveServer, hub: FakeHub, console: ConsoleLog, laptop_page: Page
) -> None:
    console.allow(r"status of 422 .*/api/datasets/merge")  # the refused merge, on purpose
    page = laptop_page
    page.goto(server.url + "/#datasets")
    for repo in ("tester/toys", "tester/cube"):
        page.locator(f'#datasets-table tr[data-repo="{repo}"] .merge-pick').check()
    page.fill("#merge-into", "tester/mixed")
    page.click("#merge-start")
    error = page.locator("#merge-error")
    expect(error).to_contain_text("robot_type")
    assert not (server.settings.dataset_root / "tester" / "mixed").exists()

    page.locator('#datasets-table tr[data-repo="tester/cube"] .merge-pick').uncheck()
    page.locator('#datasets-table tr[data-repo="tester/toys_again"] .merge-pick').check()
    page.fill("#merge-into", "tester/both")
    page.click("#merge-start")
    expect(page.locator("#merge-progress .op-text")).to_contain_text(
        "Merged into tester/both: 2 episodes", timeout=120_000
    )
    merged = server.settings.dataset_root / "tester" / "both"
    assert [e.outcome for e in load_episodes(merged)] == ["success", "success"]

    page.locator('#datasets-table tr[data-repo="tester/both"] td').nth(1).click()
    page.fill("#hub-token", HF_TOKEN)
    page.click("#hub-token-save")
    expect(page.locator("#hub-token-form")).to_be_hidden()
    page.click("#push-start")
    expect(page.locator("#push-url a")).to_be_visible(timeout=120_000)
    files = hub.files_at("tester/both", "v3.0")
    info = json.loads(files["meta/info.json"])
    assert info["robot_type"] == "bi_so_follower" and info["total_episodes"] == 2
    assert any(path.startswith("videos/observation.images.right_wrist/") for path in files)
