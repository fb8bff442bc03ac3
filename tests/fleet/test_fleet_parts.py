"""The fleet's parts without Ray: seed hand-out, and the head's writer fed by a real worker
(a real MuJoCo session in this process)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from leisaac_core.dataset import (
    DatasetExistsError,
    FeatureMismatchError,
    layout,
    load_episodes,
    locks,
)
from leisaac_core.fleet import FleetConfig, FleetWriter, SeedLedger
from leisaac_core.fleet.head import HeadCommitter
from leisaac_core.fleet.worker import FleetWorker
from leisaac_core.session import SessionConfig


def test_seeds_are_disjoint_and_lost_ones_come_back_first() -> None:
    ledger = SeedLedger(first=10, done=[11, 13])
    assert [ledger.take() for _ in range(3)] == [10, 12, 14]
    ledger.give_back(12)  # its worker died
    ledger.mark_saved(10)
    ledger.mark_failed(14, "timeout")
    assert ledger.take() == 12
    assert ledger.take() == 15
    assert ledger.out == {12, 15}
    assert ledger.failed == {14: "timeout"} and ledger.saved == [10]


def test_fleet_config_refuses_human_devices() -> None:
    session = SessionConfig(devices=[{"type": "keyboard"}], dataset={"repo_id": "a/b"})
    with pytest.raises(ValueError, match="unattended"):
        FleetConfig(session=session)
    policy = SessionConfig(policy={"url": "ws://127.0.0.1:1"}, dataset={"repo_id": "a/b"})
    assert FleetConfig(session=policy).session.driver == "policy"


def test_head_writer_commits_worker_episodes_in_arrival_order(tmp_path: Path) -> None:
    template = SessionConfig(
        env={"task": "so101_lift_cube", "camera_width": 32, "camera_height": 24},
        devices=[{"type": "scripted"}],
        dataset={"repo_id": "x/y"},
    )
    orphan = tmp_path / "leisaac-fleet-999999999-worker-1-abc"  # of a process that died
    (orphan / "seed-3").mkdir(parents=True)
    worker = FleetWorker("worker-9", template, str(tmp_path))
    assert not orphan.exists()
    try:
        results = [worker.record(seed) for seed in (4, 2)]
    finally:
        worker.close()
    assert [r.outcome for r in results] == ["saved", "saved"]
    assert not list(tmp_path.glob("leisaac-fleet-*")), "the worker's scratch folder is removed"
    root = tmp_path / "x" / "y"
    writer = FleetWriter(root, "x/y", resume=False)
    try:
        assert [writer.commit(r.bundle) for r in results if r.bundle] == [0, 1]
        # A bundle recorded with other cameras does not fit; nothing changes.
        other = results[0].bundle
        assert other is not None
        info = json.loads(json.dumps(other.info))
        info["fps"] = 15
        with pytest.raises(FeatureMismatchError, match="fps"):
            writer.commit(replace(other, info=info))
        assert writer.episodes == 2
    finally:
        writer.close()
    episodes = load_episodes(root)
    assert [(e.index, e.seed) for e in episodes] == [(0, 4), (1, 2)]
    lengths = [r.bundle.length for r in results if r.bundle]
    assert [e.length for e in episodes] == lengths
    info = json.loads((root / layout.INFO_PATH).read_text())
    assert info["total_episodes"] == 2 and info["total_frames"] == sum(lengths)
    with pytest.raises(DatasetExistsError, match="--resume"):
        FleetWriter(root, "x/y", resume=False)
    resumed = FleetWriter(root, "x/y", resume=True)
    assert sorted(resumed.recorded_seeds()) == [2, 4]
    resumed.close()


def test_a_slow_head_holds_episodes_back_instead_of_piling_them_up(tmp_path: Path) -> None:
    """Backpressure: while a reader holds the dataset's commit lock the head's commit waits,
    its bounded queue fills, and `put` (the coordinator) waits too: nothing is dropped or
    held beyond the queue, and everything queued is committed once the lock is released."""
    template = SessionConfig(
        env={"task": "so101_lift_cube", "camera_width": 32, "camera_height": 24},
        devices=[{"type": "scripted"}],
        dataset={"repo_id": "x/slow"},
    )
    worker = FleetWorker("worker-1", template, str(tmp_path))
    try:
        first, second, third = (worker.record(seed) for seed in (0, 1, 2))
    finally:
        worker.close()
    root = tmp_path / "x" / "slow"
    writer = FleetWriter(root, "x/slow", resume=False)
    head = HeadCommitter(writer, depth=1)
    go_on, stop = threading.Event(), threading.Event()
    try:
        with locks.commit_lock(root):  # a slow reader: the head's first commit waits for it
            assert head.put(first, go_on)  # taken by the commit thread, which now waits
            assert head.put(second, go_on)  # waits until the thread took the first: queued
            stop.set()
            assert not head.put(third, stop), "the queue is full: the coordinator waits"
            assert head.queued == 2 and head.take_done() == []
        commits = head.close()
    finally:
        writer.close()
    assert [(c.seed, c.index, c.error) for c in commits] == [(0, 0, ""), (1, 1, "")]
    assert all(c.nbytes > 0 and c.head_rss > 0 and c.worker_rss > 0 for c in commits)
    assert [e.seed for e in load_episodes(root)] == [0, 1]
