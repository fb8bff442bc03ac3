"""Repair after torn writes, and deleting episodes, on real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from dataset_helpers import FAST_VIDEO, decode_frames, frame_images, make_spec, record_episode

from leisaac_core.dataset import (
    DatasetWriter,
    dataset_dir,
    delete_episodes,
    layout,
    load_episode_signals,
    load_episodes,
    locks,
    maintenance,
)
from leisaac_core.dataset import journal as journal_mod
from leisaac_core.dataset import writer as writer_mod
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_state


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return dataset_dir(tmp_path, "t/rep")


class Crash(BaseException):
    """Stands in for the process dying (the real kill -9 runs in test_durability.py)."""


def crash_after_journal(monkeypatch, renames_done: int) -> None:
    """Make the next commit 'die' after its journal is durable and `renames_done` renames."""

    def partial_apply(root: Path) -> str | None:
        j = json.loads(layout.journal_path(root).read_text())
        for tmp_rel, final_rel in j["renames"][:renames_done]:
            (root / final_rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(layout.private_dir(root) / tmp_rel, root / final_rel)
        raise Crash()

    monkeypatch.setattr(journal_mod, "apply_journal", partial_apply)
    # A dead process does no in-process cleanup either.
    monkeypatch.setattr(writer_mod.DatasetWriter, "_reload_after_failure", lambda self: None)


def abandon(writer: DatasetWriter) -> None:
    """Forget a writer like a killed process would (only its lock goes away)."""
    writer._executor.shutdown(wait=True)
    locks.release_writer_lock(writer._lock_fd)
    maintenance.unregister(writer.root, writer)


@pytest.mark.parametrize("renames_done", [0, 2, 99])
def test_interrupted_commit_is_rolled_forward(root: Path, monkeypatch, renames_done) -> None:
    w = DatasetWriter.open(root, make_spec("t/rep"), video=FAST_VIDEO)
    record_episode(w, 4).result(30)
    crash_after_journal(monkeypatch, renames_done)
    with pytest.raises(Crash):
        record_episode(w, 5, tag=1).result(30)
    abandon(w)
    monkeypatch.undo()
    with DatasetWriter.open(root, make_spec("t/rep"), resume=True, video=FAST_VIDEO) as w2:
        assert any("interrupted change: commit episode 1" in r for r in w2.repairs)
        assert w2.num_episodes == 2
        record_episode(w2, 3, tag=2).result(30)
    assert [e.length for e in load_episodes(root)] == [4, 5, 3]
    assert not layout.journal_path(root).exists()


def test_partial_episode_files_are_removed_and_reported(root: Path) -> None:
    w = DatasetWriter.open(root, make_spec("t/rep"), video=FAST_VIDEO)
    record_episode(w, 4).result(30)
    w.start_episode("pick")
    for i in range(6):
        w.add_frame(synthetic_state(i), synthetic_state(i), frame_images(i))
    # Encoders are mid-file; the process "dies" now.
    for enc in w._episode.encoders.values():
        enc.join(0.5)
    abandon(w)
    stray = root / "data/chunk-000/file-007.parquet"
    stray.write_bytes(b"PAR1 torn")
    with DatasetWriter.open(root, make_spec("t/rep"), resume=True, video=FAST_VIDEO) as w2:
        text = "\n".join(w2.repairs)
        assert "partial file(s)" in text and "never committed" in text
        assert "data/chunk-000/file-007.parquet" in text
    assert not stray.exists()
    assert [e.length for e in load_episodes(root)] == [4]


def test_clean_open_reports_no_repairs(root: Path) -> None:
    with DatasetWriter.open(root, make_spec("t/rep"), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
    with DatasetWriter.open(root, make_spec("t/rep"), resume=True) as w:
        assert w.repairs == []


def _record_four(root: Path) -> None:
    with DatasetWriter.open(root, make_spec("t/rep"), video=FAST_VIDEO) as w:
        for k, n in enumerate([4, 5, 6, 7]):
            record_episode(w, n, tag=100 * k, offset=100 * k, task=f"task {k % 2}").result(30)


def test_delete_middle_episode_keeps_indices_stats_and_videos_right(root: Path) -> None:
    _record_four(root)
    delete_episodes(root, [1])
    episodes = load_episodes(root)
    assert [(e.index, e.length) for e in episodes] == [(0, 4), (1, 6), (2, 7)]
    info = json.loads((root / "meta/info.json").read_text())
    assert (info["total_episodes"], info["total_frames"]) == (3, 17)
    index = []
    for e in episodes:
        sig = load_episode_signals(root, e.index)
        tag = {4: 0, 6: 200, 7: 300}[e.length]
        np.testing.assert_allclose(sig["state"][1], synthetic_state(1) + tag)
        frames = decode_frames(e.videos["wrist"])
        assert [read_frame_index(f) for f in frames] == [tag + i for i in range(e.length)]
    for rel in sorted(p.relative_to(root).as_posix() for p in root.glob("data/*/*.parquet")):
        t = pq.read_table(root / rel).to_pydict()
        index += t["index"]
        assert len(set(t["episode_index"])) == 1
    assert index == list(range(17))
    stats = json.loads((root / "meta/stats.json").read_text())
    kept = np.concatenate(
        [
            np.stack([synthetic_state(i) + tag for i in range(n)])
            for n, tag in [(4, 0), (6, 200), (7, 300)]
        ]
    )
    np.testing.assert_allclose(stats["observation.state"]["mean"], kept.mean(0), rtol=1e-5)
    assert stats["index"]["max"] == [16] and stats["episode_index"]["max"] == [2]
    assert not (root / "videos/observation.images.front/chunk-000/file-001.mp4").exists()


def test_delete_while_writer_open_then_keep_recording(root: Path) -> None:
    with DatasetWriter.open(root, make_spec("t/rep"), video=FAST_VIDEO) as w:
        for k in range(3):
            record_episode(w, 3 + k, tag=k).result(30)
        delete_episodes(root, [0, 2])
        assert w.num_episodes == 1
        assert record_episode(w, 2, tag=9).result(30).episode_index == 1
    assert [e.length for e in load_episodes(root)] == [4, 2]
    with pytest.raises(ValueError, match="do not exist"):
        delete_episodes(root, [5])
