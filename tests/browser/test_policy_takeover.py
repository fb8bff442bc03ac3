"""DAgger from the page: a policy drives, the operator takes over (hotkey T) with the
keyboard and hands back; the recorded frames say who drove (`intervention`). Chromium
against a real server (MuJoCo, writer) and a real loopback policy server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Page, expect

from leisaac_core.policy.server import PolicyServer
from tests.browser.helpers import LiveServer, fill_start_form, make_server, screenshot


class HoldPolicy:
    """Keeps the arm where it is: the episode never ends by itself, the operator ends it."""

    metadata: Mapping[str, Any] = {"name": "hold", "action_dim": 6, "send_images": False}

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        return {"actions": np.tile(observation["observation.state"], (10, 1))}


@pytest.fixture
def policy_server(tmp_path: Path) -> Iterator[LiveServer]:
    policy = PolicyServer(HoldPolicy, port=0).start()
    server = make_server(tmp_path / "datasets", policy_url=policy.url).start()
    yield server
    server.stop()
    policy.stop()


def test_takeover_records_intervention_frames(policy_server: LiveServer, page: Page) -> None:
    page.goto(policy_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "dagger/lift", episodes=1)
    page.select_option("#f-device", "policy")
    expect(page.locator("#policy-label")).to_be_visible()
    page.select_option("#f-takeover", "so101_leader")  # the leader's port field appears
    expect(page.locator("#port-label")).to_be_visible()
    page.select_option("#f-takeover", "keyboard")
    expect(page.locator("#port-label")).to_be_hidden()
    page.fill("#f-episode-time", "600")
    page.click("#btn-start")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "recording", timeout=120_000)
    expect(page.locator("#driver")).to_have_text("The policy drives.")

    page.click("#btn-control")
    expect(page.locator("#control-state")).to_have_attribute("data-state", "mine")
    expect(page.locator("#btn-takeover")).to_be_visible()
    time.sleep(1.0)  # policy frames

    page.keyboard.press("t")
    expect(page.locator("#driver")).to_have_attribute("data-driver", "human")
    expect(page.locator("#btn-takeover")).to_contain_text("Hand back")
    page.keyboard.down("KeyA")  # pan while the human drives
    time.sleep(0.7)
    page.keyboard.up("KeyA")
    screenshot(page, "policy-takeover")
    page.keyboard.press("t")
    expect(page.locator("#driver")).to_have_attribute("data-driver", "policy")
    time.sleep(0.7)  # policy frames again

    page.keyboard.press("n")  # the operator marks the episode successful
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=60_000)

    root = policy_server.settings.dataset_root / "dagger" / "lift"
    files = sorted((root / "data").rglob("*.parquet"))
    frames = pa.concat_tables([pq.read_table(f) for f in files])
    intervention = frames.column("intervention").to_numpy(zero_copy_only=False)
    assert intervention.any() and not intervention.all()
    # Policy, then human, then policy again: exactly one stretch of intervention.
    changes = np.flatnonzero(np.diff(intervention.astype(int)))
    assert len(changes) == 2, changes
    actions = np.stack(frames.column("action").to_numpy(zero_copy_only=False))
    pan = actions[:, 0]
    assert np.ptp(pan[intervention]) > 3.0, "the human's keys moved the pan joint"
    assert frames.column("next.done").to_numpy(zero_copy_only=False)[-1]
    # The episode's row says how long the human drove and how often the policy starved.
    [row] = [
        r
        for f in (root / "meta" / "episodes").rglob("*.parquet")
        for r in pq.read_table(f).to_pylist()
    ]
    assert row["intervention_ticks"] == int(intervention.sum())
    assert row["starved_ticks"] is not None and row["starved_ticks"] >= 0


def test_evaluate_mode_from_the_form_shows_the_running_success_rate(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    fill_start_form(page, "evalpage/lift", episodes=2)
    page.select_option("#f-mode", "evaluate")
    page.select_option("#f-realtime", "false")
    page.click("#btn-start")
    expect(page.locator("#eval-rate")).to_be_visible(timeout=120_000)
    expect(page.locator("#phase")).to_have_attribute("data-phase", "idle", timeout=120_000)
    reports = list((live_server.settings.dataset_root / "evalpage").glob("lift_eval_*.json"))
    assert len(reports) == 1
    assert [o["seed"] for o in json.loads(reports[0].read_text())["per_seed"]] == [3, 4]
    expect(page.locator("#events")).to_contain_text("evaluation report")
