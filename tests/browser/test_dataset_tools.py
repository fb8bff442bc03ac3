"""Merging datasets and packing a dataset's files from the Datasets tab, at 1280x720: each
shows how far it has got while it runs (issue 23, point 8), then its result. Real server,
real writer (datasets of one small file per episode and camera, as a dataset recorded with
packing off, or by another tool, is), real merge and compaction."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leisaac_core.dataset import DatasetWriter, load_episodes
from tests.browser.helpers import LiveServer, make_server, screenshot
from tests.browser.test_replay import RECORD_TEXTS
from tests.dataset.dataset_helpers import FAST_VIDEO, make_spec, record_episode

EPISODES = 6


def _unpacked_dataset(root: Path, repo_id: str) -> None:
    with DatasetWriter.open(
        root / repo_id, make_spec(repo_id), video=FAST_VIDEO, compact_every=0
    ) as writer:
        for i in range(EPISODES):
            record_episode(writer, 12, tag=float(i), offset=100 * i)


@pytest.fixture
def tools_server(tmp_path: Path) -> Iterator[LiveServer]:
    root = tmp_path / "datasets"
    _unpacked_dataset(root, "tester/day1")
    _unpacked_dataset(root, "tester/day2")
    server = make_server(root).start()
    yield server
    server.stop()


def _counts(texts: list[str], step: str) -> list[tuple[int, int]]:
    found = [re.search(rf"— {step} (\d+) of (\d+) (\w+)", t) for t in texts]
    return [(int(m[1]), int(m[2])) for m in found if m]


def test_merge_and_pack_from_the_page_show_their_progress(
    tools_server: LiveServer, laptop_page: Page
) -> None:
    page = laptop_page
    page.goto(tools_server.url + "/#datasets")
    expect(page.locator("#datasets-table tbody tr")).to_have_count(2)
    expect(page.locator("#merge-start")).to_be_disabled()
    for repo in ("tester/day1", "tester/day2"):
        page.locator(f'#datasets-table tr[data-repo="{repo}"] .merge-pick').check()
    expect(page.locator("#merge-start")).to_have_text("Merge 2 datasets")
    expect(page.locator("#dataset-detail")).to_be_hidden()  # ticking does not open one

    # A target that is not a repo id: said in the form, nothing asked of the server.
    page.fill("#merge-into", "tester/both days")
    page.click("#merge-start")
    expect(page.locator("#merge-error")).to_contain_text("has spaces")

    page.fill("#merge-into", "tester/both_days")
    page.evaluate(RECORD_TEXTS, "#merge-progress .op-text")
    page.click("#merge-start")
    line = page.locator("#merge-progress .op-text")
    expect(line).to_have_text("Merged into tester/both_days: 12 episodes, 144 frames.")
    shown = page.evaluate("window.shownTexts")
    assert _counts(shown, "merging") and _counts(shown, "packing"), shown
    packing = _counts(shown, "packing")
    assert [d for d, _ in packing] == sorted(d for d, _ in packing)
    assert packing[-1][0] == packing[-1][1] > 0, packing
    expect(page.locator('#datasets-table tr[data-repo="tester/both_days"]')).to_have_count(1)
    root = tools_server.settings.dataset_root
    assert len(load_episodes(root / "tester" / "both_days")) == 2 * EPISODES
    screenshot(page, "datasets-merged-1280")

    # Packing one of the sources (one file per episode and camera) from its episode list.
    page.locator('#datasets-table tr[data-repo="tester/day1"] td').nth(1).click()
    expect(page.locator("#dataset-title")).to_have_text("Episodes of tester/day1")
    page.evaluate(RECORD_TEXTS, "#compact-progress .op-text")
    page.click("#dataset-compact")
    packed = page.locator("#compact-progress .op-text")
    expect(packed).to_contain_text("Packed: ")
    expect(packed).to_contain_text(f"({EPISODES - 1} episodes moved)")
    shown = page.evaluate("window.shownTexts")
    counts = _counts(shown, "packing")
    assert counts and any(0 < d < t for d, t in counts), shown
    assert all(t.startswith("Packing the files of tester/day1") for t in shown[1:-1]), shown
    # Packed already: the second time says so.
    page.click("#dataset-compact")
    expect(packed).to_have_text(
        "Nothing to pack: the files are already as large as lerobot makes them."
    )
    assert len(load_episodes(root / "tester" / "day1")) == EPISODES
    screenshot(page, "datasets-packed-1280")
