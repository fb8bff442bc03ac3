"""What a long recording keeps alive, counted episode after episode (issue 29): numbers from
the libraries' own accounting (threads started, objects alive), never RSS or timings."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest
from dataset_helpers import FAST_VIDEO, make_spec, record_episode

from leisaac_core.dataset import DatasetWriter, dataset_dir
from leisaac_core.sim.base import CameraSpec

TINY = (CameraSpec("front", 24, 32), CameraSpec("wrist", 24, 32))


@pytest.fixture
def started_threads(monkeypatch) -> list[threading.Thread]:
    """Every thread started in this process while the test runs."""
    started: list[threading.Thread] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


def test_encoder_threads_outlive_episodes(tmp_path: Path, started_threads) -> None:
    """A new thread per camera per episode leaves native stacks and malloc arenas behind
    (about 0.5 MB per episode measured); the writer's encoder threads are started once."""
    root = dataset_dir(tmp_path, "mem/threads")
    writer = DatasetWriter.open(
        root, make_spec("mem/threads", TINY), video=FAST_VIDEO, compact_every=0
    )
    with writer:
        for tag in range(3):
            assert record_episode(writer, 3, tag=tag).result(60).saved
        after_warm_up = len(started_threads)
        for tag in range(3, 40):
            assert record_episode(writer, 3, tag=tag).result(60).saved
        assert writer.num_episodes == 40
        assert [t.name for t in started_threads[after_warm_up:]] == []
    # Closing the writer ends every thread it started.
    assert [t.name for t in started_threads if t.is_alive()] == []


def test_periodic_compaction_leaves_no_peak_in_the_recording_process(tmp_path: Path) -> None:
    """A tiered compaction reads the tier it joins (all its files at once); run in the
    recording process, that peak stayed with the server, retained by the allocators (RSS
    stepped up at every compaction: +23, +9, +4, +33 MB at episodes 201..801). It runs in a
    child now: Arrow's own high-water mark in this process does not move while it joins 60
    episodes."""
    pool = pa.default_memory_pool()
    root = dataset_dir(tmp_path, "mem/compact")
    writer = DatasetWriter.open(
        root, make_spec("mem/compact", TINY), video=FAST_VIDEO, compact_every=0
    )
    with writer:
        for tag in range(60):
            assert record_episode(writer, 120, tag=tag).result(60).saved
        peak_after_recording = pool.max_memory()
        result = writer.compact(tiered=True).result(120)
        assert result.files_before > result.files_after  # it did join files
        assert pool.max_memory() == peak_after_recording
    assert len(list(root.glob("data/*/*.parquet"))) < 60
