"""Costs that must not grow with the dataset: a commit touches a bounded set of files, a
reopen reads a bounded set of rows, and both give the same dataset as a full rebuild."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from dataset_helpers import FAST_VIDEO, make_spec, record_episode

from leisaac_core.dataset import (
    DatasetWriter,
    dataset_dir,
    delete_episodes,
    layout,
    list_datasets,
    load_episode_signals,
    load_episodes,
    tables,
)
from leisaac_core.dataset import journal as journal_mod
from leisaac_core.dataset.synthetic import synthetic_state


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return dataset_dir(tmp_path / "datasets", "s/paged")


@pytest.fixture
def small_meta_files(monkeypatch):
    """Three episodes per meta/episodes file, so a handful of episodes spans several."""
    monkeypatch.setattr(layout, "EPISODES_PER_META_FILE", 3)


def no_full_read(*args, **kwargs):
    raise AssertionError("read every episode row")


def test_episode_rows_spill_into_capped_files(root: Path, small_meta_files, monkeypatch) -> None:
    renames: list[list[tuple[str, str]]] = []
    real_commit = journal_mod.Transaction.commit

    def spy(self):
        renames.append(list(self.renames))
        real_commit(self)

    monkeypatch.setattr(journal_mod.Transaction, "commit", spy)
    lengths = [3, 4, 5, 6, 7, 8, 9]
    with DatasetWriter.open(root, make_spec("s/paged"), video=FAST_VIDEO) as w:
        for k, n in enumerate(lengths):
            record_episode(w, n, tag=10 * k, task=f"task {k % 2}").result(30)
            if k == 2:
                first_file = root / "meta/episodes/chunk-000/file-000.parquet"
                first_mtime = first_file.stat().st_mtime_ns
    files = layout.episodes_files(root)
    assert [f.relative_to(root).as_posix() for f in files] == [
        f"meta/episodes/chunk-000/file-00{i}.parquet" for i in range(3)
    ]
    # Once full, a file is never rewritten: later commits only touch the last one.
    assert first_file.stat().st_mtime_ns == first_mtime
    for k, change in enumerate(renames):
        finals = sorted(f for _, f in change)
        meta = [f for f in finals if f.startswith("meta/episodes/")]
        assert meta == [layout.episodes_path(k // 3)]
        # data + 2 videos + info + stats + last episodes file (+ tasks for a new task)
        assert len(finals) == 6 + (k < 2)
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    assert [r["episode_index"] for r in rows] == list(range(7))
    assert [r["meta/episodes/file_index"] for r in rows] == [0, 0, 0, 1, 1, 1, 2]
    assert [r["length"] for r in rows] == lengths


def test_reopen_and_views_do_not_read_every_row(root: Path, small_meta_files, monkeypatch) -> None:
    lengths = [3, 4, 5, 6, 7]
    with DatasetWriter.open(root, make_spec("s/paged"), video=FAST_VIDEO) as w:
        for k, n in enumerate(lengths):
            record_episode(w, n, tag=10 * k, outcome="failure" if k == 1 else "success")
    stats_before = json.loads((root / "meta/stats.json").read_text())
    monkeypatch.setattr(tables, "read_episodes_table", no_full_read)
    with DatasetWriter.open(root, make_spec("s/paged"), resume=True, video=FAST_VIDEO) as w:
        assert w.repairs == []
        assert w.num_episodes == 5 and w.status().frames_committed == sum(lengths)
        record_episode(w, 2, tag=50).result(30)
    # A hidden copy next to it (a push snapshot) is not listed as a dataset.
    shutil.copytree(root, root.parent / ".paged.push-x")
    (summary,) = list_datasets(root.parent.parent)
    assert summary.episodes == 6 and summary.outcomes == {"success": 5, "failure": 1}
    page = load_episodes(root, offset=2, limit=3)
    assert [(e.index, e.length) for e in page] == [(2, 5), (3, 6), (4, 7)]
    sig = load_episode_signals(root, 4)
    np.testing.assert_allclose(sig["state"][6], synthetic_state(6) + 40)
    # The running stats equal the aggregate of every episode.
    stats = json.loads((root / "meta/stats.json").read_text())
    assert stats["observation.state"]["count"] == [sum(lengths) + 2]
    states = np.concatenate(
        [np.stack([synthetic_state(i) + 10 * k for i in range(n)]) for k, n in enumerate(lengths)]
        + [np.stack([synthetic_state(i) + 50 for i in range(2)])]
    )
    np.testing.assert_allclose(stats["observation.state"]["mean"], states.mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats["observation.state"]["std"], states.std(0), rtol=1e-5)
    np.testing.assert_allclose(stats["observation.state"]["min"], states.min(0))
    assert stats_before["index"]["max"] == [sum(lengths) - 1]
    assert stats["index"]["max"] == [sum(lengths) + 1]


def test_delete_across_meta_files_rebuilds_them(root: Path, small_meta_files) -> None:
    lengths = [3, 4, 5, 6, 7, 8, 9]
    with DatasetWriter.open(root, make_spec("s/paged"), video=FAST_VIDEO) as w:
        for k, n in enumerate(lengths):
            record_episode(w, n, tag=10 * k).result(30)
    delete_episodes(root, [0, 4])
    kept = [3, 4, 5, 6, 8, 9]
    assert [e.length for e in load_episodes(root)] == [4, 5, 6, 8, 9]
    assert len(layout.episodes_files(root)) == 2
    with DatasetWriter.open(root, make_spec("s/paged"), resume=True, video=FAST_VIDEO) as w:
        assert w.repairs == []
        assert record_episode(w, 2, tag=90).result(30).episode_index == 5
    assert [e.length for e in load_episodes(root)] == [4, 5, 6, 8, 9, 2]
    info = json.loads((root / "meta/info.json").read_text())
    assert info["total_frames"] == sum(kept) - 3 + 2


def test_inconsistent_info_is_reported_not_guessed(root: Path) -> None:
    with DatasetWriter.open(root, make_spec("s/paged"), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
    info = json.loads((root / "meta/info.json").read_text())
    (root / "meta/info.json").write_text(json.dumps({**info, "total_episodes": 4}))
    from leisaac_core.dataset import DatasetCorruptError

    with pytest.raises(DatasetCorruptError, match="disagrees with the last episode row"):
        DatasetWriter.open(root, make_spec("s/paged"), resume=True)
