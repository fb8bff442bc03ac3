"""lerobot's own LeRobotDataset (0.4.4, in its own venv) loads every dataset shape we write,
and the frames it decodes are the frames we wrote (content, not only shape)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from dataset_helpers import FAST_VIDEO, H, W, make_spec, record_episode
from lerobot_reader_support import run_lerobot_probe

from leisaac_core.dataset import (
    DatasetWriter,
    compact_dataset,
    compaction,
    dataset_dir,
    delete_episodes,
    layout,
    locks,
    maintenance,
)
from leisaac_core.dataset import journal as journal_mod
from leisaac_core.dataset import writer as writer_mod
from leisaac_core.dataset.state import DatasetState
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_frame, synthetic_state

pytestmark = pytest.mark.compat


def check_probe(result: dict[str, np.ndarray], episodes: list[tuple[int, int]]) -> None:
    """`episodes`: (length, tag) per expected episode, in order; recorded by
    record_episode(..., tag=tag, offset=tag)."""
    assert int(result["num_episodes"]) == len(episodes)
    assert int(result["num_frames"]) == sum(n for n, _ in episodes)
    starts = np.cumsum([0] + [n for n, _ in episodes])
    for row, item in enumerate(result["items"]):
        ep = int(np.searchsorted(starts, item, side="right") - 1)
        frame = int(item - starts[ep])
        tag = episodes[ep][1]
        assert result["episode_index"][row] == ep
        assert result["frame_index"][row] == frame
        assert result["index"][row] == item
        assert result["timestamp"][row] == pytest.approx(frame / 30, abs=1e-6)
        np.testing.assert_allclose(result["state"][row], synthetic_state(frame) + tag, rtol=1e-6)
        for cam, key in enumerate(["front", "wrist"]):
            img = result[f"img/observation.images.{key}"][row]
            assert read_frame_index(img) == tag + frame, (key, ep, frame)
            expected = synthetic_frame(tag + frame, H, W, cam)
            assert np.abs(img.astype(int) - expected.astype(int)).mean() < 12


def build(root: Path, repo_id: str, episodes: list[tuple[int, int]], resume=False) -> None:
    with DatasetWriter.open(root, make_spec(repo_id), resume=resume, video=FAST_VIDEO) as w:
        for n, tag in episodes:
            assert record_episode(w, n, tag=tag, offset=tag, task=f"t{tag % 2}").result(60).saved


def make_crashed_then_repaired(root: Path, repo_id: str, monkeypatch) -> None:
    """Commit 2 episodes, 'die' mid-commit of a 3rd (after its journal, one rename done)
    with a 4th partially recorded, then reopen (repair) and add one more."""
    w = DatasetWriter.open(root, make_spec(repo_id), video=FAST_VIDEO)
    record_episode(w, 5, tag=0, offset=0).result(60)
    record_episode(w, 6, tag=100, offset=100).result(60)

    def partial_apply(r: Path):
        j = json.loads(layout.journal_path(r).read_text())
        tmp_rel, final_rel = j["renames"][0]
        (r / final_rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(layout.private_dir(r) / tmp_rel, r / final_rel)
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(journal_mod, "apply_journal", partial_apply)
        m.setattr(writer_mod.DatasetWriter, "_reload_after_failure", lambda self: None)
        with pytest.raises(KeyboardInterrupt):
            record_episode(w, 7, tag=200, offset=200).result(60)
    w._executor.shutdown(wait=True)
    locks.release_writer_lock(w._lock_fd)
    maintenance.unregister(root, w)
    with DatasetWriter.open(root, make_spec(repo_id), resume=True, video=FAST_VIDEO) as w2:
        assert w2.repairs
        record_episode(w2, 4, tag=300, offset=300).result(60)


def test_lerobot_loads_every_shape_we_write(lerobot_python, tmp_path: Path, monkeypatch) -> None:
    base = tmp_path / "datasets"
    one = dataset_dir(base, "c/one")
    build(one, "c/one", [(8, 0)])

    many = dataset_dir(base, "c/many")
    many_eps = [(5, 0), (9, 100), (4, 200), (6, 300)]
    build(many, "c/many", many_eps)

    resumed = dataset_dir(base, "c/resumed")
    build(resumed, "c/resumed", [(5, 0), (6, 100)])
    build(resumed, "c/resumed", [(7, 200)], resume=True)

    deleted = dataset_dir(base, "c/deleted")
    build(deleted, "c/deleted", many_eps)
    delete_episodes(deleted, [0, 2])

    repaired = dataset_dir(base, "c/repaired")
    make_crashed_then_repaired(repaired, "c/repaired", monkeypatch)

    # Episode rows spread over several meta/episodes files, one of them rebuilt by a delete.
    paged = dataset_dir(base, "c/paged")
    paged_eps = [(5, 0), (9, 100), (4, 200), (6, 300), (3, 400)]
    with monkeypatch.context() as m:
        m.setattr(layout, "EPISODES_PER_META_FILE", 2)
        build(paged, "c/paged", paged_eps)
        delete_episodes(paged, [1])
        build(paged, "c/paged", [(7, 500)], resume=True)
    assert len(layout.episodes_files(paged)) == 3

    # Compacted: packed data / video / meta files, then loose episodes after them, then a
    # delete inside the packed files.
    compacted = dataset_dir(base, "c/compacted")
    packed_eps = [(5, 0), (9, 100), (4, 200), (6, 300), (3, 400), (8, 500), (5, 600)]
    with monkeypatch.context() as m:
        m.setattr(layout, "EPISODES_PER_META_FILE", 2)
        build(compacted, "c/compacted", packed_eps)
        assert compact_dataset(compacted).episodes_moved == 6  # all but the first
        build(compacted, "c/compacted", [(7, 700), (4, 800)], resume=True)
        delete_episodes(compacted, [2])
    assert len(list(compacted.glob("data/*/*.parquet"))) == 3

    # Compacted with small size limits: episodes spread over several packed files (where
    # lerobot's own merge has had offset bugs after rotation).
    rotated = dataset_dir(base, "c/rotated")
    build(rotated, "c/rotated", packed_eps)
    data_mb = 2.5 * max(p.stat().st_size for p in rotated.glob("data/*/*.parquet")) / 2**20
    video_mb = 2.5 * max(p.stat().st_size for p in rotated.glob("videos/*/*/*.mp4")) / 2**20
    prepared = compaction.prepare(rotated, 0, data_limit_mb=data_mb, video_limit_mb=video_mb)
    assert prepared is not None
    compaction.install(rotated, DatasetState.load(rotated), prepared, 0)
    assert 2 <= len(list(rotated.glob("videos/observation.images.front/*/*.mp4"))) < 7

    results = run_lerobot_probe(
        lerobot_python,
        [
            (one, "c/one"),
            (many, "c/many"),
            (resumed, "c/resumed"),
            (deleted, "c/deleted"),
            (repaired, "c/repaired"),
            (paged, "c/paged"),
            (compacted, "c/compacted"),
            (rotated, "c/rotated"),
        ],
        tmp_path,
    )
    check_probe(results[0], [(8, 0)])
    check_probe(results[1], many_eps)
    check_probe(results[2], [(5, 0), (6, 100), (7, 200)])
    check_probe(results[3], [(9, 100), (6, 300)])
    check_probe(results[4], [(5, 0), (6, 100), (7, 200), (4, 300)])
    check_probe(results[5], [(5, 0), (4, 200), (6, 300), (3, 400), (7, 500)])
    check_probe(results[6], [e for i, e in enumerate(packed_eps) if i != 2] + [(7, 700), (4, 800)])
    check_probe(results[7], packed_eps)
