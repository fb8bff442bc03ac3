"""AutoPush: push every N committed episodes in a background thread (real pushes, FakeHub)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from leisaac_core.hub import AutoPush, AutoPushConfig, HubError, push_dataset, push_is_due
from tests.hub.conftest import USER, WRITE_TOKEN
from tests.hub.handmade_dataset import write_dataset
from tests.support.fake_hub import FakeHub

REPO = f"{USER}/pick_orange"


def test_push_is_due_every_n_episodes() -> None:
    assert not push_is_due(1, 0, 2)
    assert push_is_due(2, 0, 2)
    assert not push_is_due(3, 2, 2)
    assert push_is_due(5, 2, 2)
    with pytest.raises(ValueError, match="at least 1"):
        AutoPushConfig(every_n_episodes=0)


def test_auto_push_runs_when_due_and_retries_after_failure(hub: FakeHub, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "ds", episodes=1)
    token = {"value": "hf_NotAValidToken0000000000000000000"}
    done: list[tuple[object, object]] = []

    def push() -> object:
        return push_dataset(dataset, REPO, token=token["value"], endpoint=hub.endpoint)

    auto = AutoPush(
        AutoPushConfig(every_n_episodes=2), push, on_done=lambda r, e: done.append((r, e))
    )
    assert "hf_" not in repr(auto.config)

    assert not auto.episode_committed(1)
    write_dataset(dataset, episodes=2)
    assert auto.episode_committed(2)
    assert auto.wait(timeout=60)
    assert isinstance(auto.last_error, HubError) and auto.last_result is None
    assert done[-1][0] is None

    token["value"] = WRITE_TOKEN  # fixed: the next committed episode retries
    write_dataset(dataset, episodes=3)
    assert auto.episode_committed(3)
    assert auto.wait(timeout=60)
    assert auto.last_error is None and auto.last_result is not None
    assert hub.repo(REPO).tags["v3.0"] == auto.last_result.commit
    assert len(done) == 2

    assert not auto.episode_committed(4), "only 1 episode since the last push"


def test_auto_push_never_runs_two_pushes_at_once(hub: FakeHub, tmp_path: Path) -> None:
    release = threading.Event()
    started = threading.Event()
    calls = []
    sentinel = object()  # AutoPush only stores what push() returns

    def slow_push() -> object:
        calls.append(1)
        started.set()
        release.wait(30)
        return sentinel

    auto = AutoPush(AutoPushConfig(every_n_episodes=1), slow_push)
    assert auto.episode_committed(1)
    assert started.wait(30)
    assert auto.running
    assert not auto.episode_committed(2), "a push is in flight"
    release.set()
    assert auto.wait(timeout=30)
    assert auto.episode_committed(2)
    assert auto.wait(timeout=30)
    assert len(calls) == 2 and auto.last_result is sentinel
