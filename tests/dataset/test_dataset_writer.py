"""DatasetWriter end to end on real files: layout, content, resume, errors, drops, snapshot."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from dataset_helpers import (
    FAST_VIDEO,
    H,
    W,
    decode_frames,
    frame_images,
    make_spec,
    record_episode,
    wait_until,
)

from leisaac_core.dataset import (
    DatasetBusyError,
    DatasetExistsError,
    DatasetWriter,
    EpisodeMeta,
    FeatureMismatchError,
    VideoSettings,
    dataset_dir,
    layout,
    list_datasets,
    load_episode_signals,
    load_episodes,
    snapshot_committed,
)
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_frame, synthetic_state
from leisaac_core.sim.base import CameraSpec


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return dataset_dir(tmp_path / "datasets", "tester/pick")


def test_writes_lerobot_v3_layout_and_content(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        a = record_episode(
            w,
            12,
            tag=0,
            outcome="success",
            fps_achieved=29.8,
            seed=7,
            device="scripted",
            backend="mujoco",
            period_p99_ms=34.0,
            note="ok",
        )
        b = record_episode(w, 9, tag=100, task="place", offset=50)
        assert a.result(30).saved and b.result(30).saved
        assert (a.result().episode_index, b.result().episode_index) == (0, 1)

    info = json.loads((root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0"
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (2, 21, 2)
    assert info["splits"] == {"train": "0:2"}
    front = info["features"]["observation.images.front"]
    assert front["shape"] == [H, W, 3] and front["info"]["video.codec"] == "h264"

    data = pq.read_table(root / "data/chunk-000/file-001.parquet").to_pydict()
    assert data["episode_index"] == [1] * 9
    assert data["index"] == list(range(12, 21))
    assert data["frame_index"] == list(range(9))
    # Timestamps are exactly frame_index / fps (as float32).
    assert data["timestamp"] == [float(np.float32(i / 30)) for i in range(9)]
    np.testing.assert_allclose(data["observation.state"][3], synthetic_state(3) + 100)

    rows = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [r["episode_index"] for r in rows] == [0, 1]
    assert rows[0]["outcome"] == "success" and rows[0]["seed"] == 7 and rows[0]["note"] == "ok"
    assert rows[0]["fps_achieved"] == 29.8 and rows[0]["device"] == "scripted"
    assert rows[0]["frames_dropped/observation.images.front"] == 0
    assert rows[1]["tasks"] == ["place"]
    assert rows[1]["dataset_from_index"] == 12 and rows[1]["dataset_to_index"] == 21
    assert rows[1]["videos/observation.images.wrist/to_timestamp"] == pytest.approx(9 / 30)

    stats = json.loads((root / "meta/stats.json").read_text())
    all_states = np.concatenate(
        [
            np.stack([synthetic_state(i) for i in range(12)]),
            np.stack([synthetic_state(i) + 100 for i in range(9)]),
        ]
    )
    np.testing.assert_allclose(stats["observation.state"]["mean"], all_states.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats["observation.state"]["max"], all_states.max(0))
    assert stats["observation.state"]["count"] == [21]
    assert np.asarray(stats["observation.images.front"]["mean"]).shape == (3, 1, 1)

    # Video content: every frame decodes to the image we wrote (lossy but close).
    frames = decode_frames(root / "videos/observation.images.wrist/chunk-000/file-001.mp4")
    assert len(frames) == 9
    for i, img in enumerate(frames):
        assert read_frame_index(img) == 50 + i
        expected = synthetic_frame(50 + i, H, W, 1)
        assert np.abs(img.astype(int) - expected.astype(int)).mean() < 12

    assert not list(layout.tmp_dir(root).glob("*"))


def test_catalog_views(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 5, fps_achieved=20.0).result(30)
        record_episode(w, 6, tag=1).result(30)
    (summary,) = list_datasets(root.parent.parent)
    assert (summary.repo_id, summary.episodes, summary.frames) == ("tester/pick", 2, 11)
    assert summary.cameras == ("front", "wrist") and summary.size_bytes > 0
    episodes = load_episodes(root)
    assert [e.length for e in episodes] == [5, 6]
    assert any("below target" in f for f in episodes[0].qc_flags)
    assert episodes[1].videos["front"].path.exists()
    sig = load_episode_signals(root, 1)
    assert sig["state"].shape == (6, 6)
    np.testing.assert_allclose(sig["state"][2], synthetic_state(2) + 1)
    with pytest.raises(ValueError, match="does not exist"):
        load_episode_signals(root, 5)


def test_timing_qc_only_for_paced_episodes(root: Path) -> None:
    """Issue 23 point 7: an unpaced loop's timestamps are exact by construction, so its
    episodes get no timing flags; a dataset written before the `paced` column (the column
    dropped here, as an older writer wrote it) keeps today's flags, also once resumed."""
    slow = {"fps_achieved": 20.0, "period_p99_ms": 120.0}
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 5, **slow).result(30)
    (rows_file,) = (root / "meta" / "episodes").rglob("*.parquet")
    table = pq.read_table(rows_file)
    pq.write_table(table.drop(["paced"]), rows_file)
    (old,) = load_episodes(root)
    assert old.paced is None
    assert old.qc_flags == (
        "rate 20.0 fps below target 30",
        "period p99 120.0 ms over 1.5x the target period",
    )

    with DatasetWriter.open(root, make_spec(), resume=True, video=FAST_VIDEO) as w:
        record_episode(w, 5, paced=False, **slow).result(30)
        record_episode(w, 5, paced=True, **slow).result(30)
    old, unpaced, paced = load_episodes(root)
    assert old.paced is None and old.qc_flags == paced.qc_flags
    assert unpaced.paced is False and unpaced.qc_flags == ()
    assert paced.paced is True and len(paced.qc_flags) == 2


def test_existing_dataset_without_resume_is_an_error_and_changes_nothing(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 4).result(30)
    before = tree(root)
    with pytest.raises(DatasetExistsError, match="resume"):
        DatasetWriter.open(root, make_spec())
    assert tree(root) == before


def test_resume_appends_and_resume_of_missing_creates(root: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "other" / "ns" / "new"
    with DatasetWriter.open(fresh, make_spec("ns/new"), resume=True, video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
    assert json.loads((fresh / "meta/info.json").read_text())["total_episodes"] == 1

    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 4).result(30)
    with DatasetWriter.open(root, make_spec(), resume=True, video=FAST_VIDEO) as w:
        assert w.repairs == []
        assert w.start_episode("pick") == 1
        w.discard_episode()
        assert record_episode(w, 5, tag=9).result(30).episode_index == 1
    rows = load_episodes(root)
    assert [(r.index, r.length) for r in rows] == [(0, 4), (1, 5)]
    data = pq.read_table(root / "data/chunk-000/file-001.parquet").to_pydict()
    assert data["index"] == list(range(4, 9))


def test_resume_with_other_features_says_what_differs(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
    before = tree(root)
    other = make_spec(cameras=(CameraSpec("front", H, W), CameraSpec("side", H, W)))
    with pytest.raises(FeatureMismatchError) as err:
        DatasetWriter.open(root, other, resume=True)
    msg = str(err.value)
    assert "observation.images.side: requested but not in the dataset" in msg
    assert "observation.images.wrist: in the dataset but not requested" in msg
    with pytest.raises(FeatureMismatchError, match="fps: dataset has 30, requested 15"):
        DatasetWriter.open(root, make_spec(fps=15), resume=True)
    with pytest.raises(FeatureMismatchError, match="video.codec"):
        DatasetWriter.open(root, make_spec(), resume=True, video=VideoSettings(codec="av1"))
    assert tree(root) == before
    # The failed opens released the dataset: a matching resume works.
    DatasetWriter.open(root, make_spec(), resume=True).close()


def test_second_writer_on_same_dataset_is_refused(root: Path) -> None:
    with (
        DatasetWriter.open(root, make_spec(), resume=True),
        pytest.raises(DatasetBusyError, match="another writer"),
    ):
        DatasetWriter.open(root, make_spec(), resume=True)


def test_empty_episode_is_not_saved_and_does_not_raise(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        w.start_episode("pick")
        result = w.save_episode(EpisodeMeta()).result(5)
        assert not result.saved and "no recorded frames" in result.reason
        nothing = w.save_episode().result(5)
        assert not nothing.saved and "no episode in progress" in nothing.reason
        assert wait_until(lambda: not list(layout.tmp_dir(root).glob("*")))
    assert not (root / "meta/info.json").exists()


def test_discard_leaves_nothing_behind(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
        w.start_episode("pick")
        for i in range(4):
            w.add_frame(synthetic_state(i), synthetic_state(i), frame_images(i))
        w.discard_episode()
        assert wait_until(lambda: not list(layout.tmp_dir(root).glob("*")))
        assert w.status().episodes_committed == 1
    assert len(load_episodes(root)) == 1


def test_add_frame_rejects_bad_input_with_a_message(root: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        with pytest.raises(RuntimeError, match="start_episode"):
            w.add_frame(np.zeros(6), np.zeros(6), frame_images(0))
        w.start_episode("pick")
        with pytest.raises(ValueError, match="lacks camera 'wrist'"):
            w.add_frame(np.zeros(6), np.zeros(6), {"front": frame_images(0)["front"]})
        with pytest.raises(ValueError, match="expected uint8"):
            w.add_frame(np.zeros(6), np.zeros(6), {**frame_images(0), "front": np.zeros((4, 4, 3))})
        with pytest.raises(ValueError, match="state has shape"):
            w.add_frame(np.zeros(5), np.zeros(6), frame_images(0))
        with pytest.raises(RuntimeError, match="already in progress"):
            w.start_episode("pick")
        assert w.status().frames_in_episode == 0


def test_starved_encoder_drops_are_counted_and_video_keeps_timing(root: Path) -> None:
    """Starve the encoder: 480x640 frames at the 'medium' preset offered back to back into a
    1-frame queue by a caller that may not wait (a paced loop with no time left: wait_s=0;
    an encode takes milliseconds, an offer microseconds). Every frame that could not be
    queued must be counted, and the mp4 must still have one frame per step
    (gaps filled by repeating the previous frame) so timestamps stay true."""
    big = (CameraSpec("front", 480, 640),)
    spec = make_spec(cameras=big)
    settings = VideoSettings(queue_frames=1, preset="medium")
    n = 60
    frames = [synthetic_frame(i, 480, 640) for i in range(n)]
    with DatasetWriter.open(root, spec, video=settings) as w:
        w.start_episode("pick")
        for i in range(n):
            w.add_frame(synthetic_state(i), synthetic_state(i), {"front": frames[i]}, wait_s=0)
        status = w.status()
        dropped = status.cameras["observation.images.front"].dropped
        assert status.frames_in_episode == n
        assert dropped > 0
        saved = w.save_episode().result(60)
    assert saved.frames_dropped == {"observation.images.front": dropped}
    (record,) = load_episodes(root)
    assert record.frames_dropped == {"front": dropped}
    assert any("frames dropped" in f for f in record.qc_flags)
    decoded = decode_frames(record.videos["front"])
    assert len(decoded) == n
    seen = [read_frame_index(f) for f in decoded]
    # Every decoded frame is the frame of that step or a repeat of an earlier one.
    assert all(s <= i for i, s in enumerate(seen)) and seen == sorted(seen)
    assert len(set(seen)) == n - dropped


def test_unpaced_caller_waits_for_the_encoder_and_drops_nothing(root: Path) -> None:
    """The same starved encoder, but a caller no clock paces (the default wait_s=None):
    add_frame waits for room instead of dropping, so the mp4 holds every step's own frame."""
    big = (CameraSpec("front", 480, 640),)
    settings = VideoSettings(queue_frames=1, preset="medium")
    n = 60
    frames = [synthetic_frame(i, 480, 640) for i in range(n)]
    with DatasetWriter.open(root, make_spec(cameras=big), video=settings) as w:
        w.start_episode("pick")
        for i in range(n):
            w.add_frame(synthetic_state(i), synthetic_state(i), {"front": frames[i]})
            assert w.status().cameras["observation.images.front"].dropped == 0
        saved = w.save_episode().result(60)
    assert saved.frames_dropped == {"observation.images.front": 0}
    (record,) = load_episodes(root)
    assert [read_frame_index(f) for f in decode_frames(record.videos["front"])] == list(range(n))


def test_a_waiting_caller_is_released_when_the_encoder_fails(tmp_path: Path) -> None:
    """An encoder that cannot open its file stops consuming; a caller waiting for room
    (unpaced) must get its frame refused, not wait forever, and finish() says why."""
    from leisaac_core.dataset.encoder import CameraEncoder, EncoderThreads

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the encoder wants a folder")
    threads = EncoderThreads()
    enc = CameraEncoder(
        blocker / "x.mp4", W, H, 30, VideoSettings(queue_frames=1), name="front", threads=threads
    )
    accepted = [enc.offer(i, synthetic_frame(i, H, W)) for i in range(5)]
    assert not all(accepted)  # at most the first fits before the encoder is gone
    with pytest.raises(RuntimeError, match="video encoder for camera 'front' failed"):
        enc.finish(5)


def test_add_frame_does_not_wait_for_a_stuck_commit(root: Path, monkeypatch) -> None:
    """A commit blocked on the lock below must not block the next episode's add_frame."""
    from leisaac_core.dataset import writer as writer_mod

    gate = threading.Event()
    real = writer_mod.DatasetWriter._commit

    def slow_commit(self, *a, **kw):
        gate.wait(30)
        return real(self, *a, **kw)

    monkeypatch.setattr(writer_mod.DatasetWriter, "_commit", slow_commit)
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        first = record_episode(w, 3)
        assert w.status().commits_in_flight == 1
        assert w.start_episode("pick") == 1
        for i in range(5):
            w.add_frame(synthetic_state(i), synthetic_state(i), frame_images(i))
        assert w.status().frames_in_episode == 5 and not first.done()
        second = w.save_episode()
        gate.set()
        assert first.result(30).episode_index == 0
        assert second.result(30).episode_index == 1


def test_av1_is_selectable(root: Path) -> None:
    with DatasetWriter.open(
        root, make_spec(), video=VideoSettings(codec="av1", queue_frames=100)
    ) as w:
        record_episode(w, 6).result(60)
    info = json.loads((root / "meta/info.json").read_text())
    assert info["features"]["observation.images.front"]["info"]["video.codec"] == "av1"
    frames = decode_frames(load_episodes(root)[0].videos["front"])
    assert [read_frame_index(f) for f in frames] == list(range(6))


def test_snapshot_is_consistent_and_immutable(root: Path, tmp_path: Path) -> None:
    with DatasetWriter.open(root, make_spec(), video=FAST_VIDEO) as w:
        record_episode(w, 4).result(30)
        snap = tmp_path / "snap"
        files = snapshot_committed(root, snap)
        rels = sorted(p.relative_to(snap).as_posix() for p in files)
        assert "meta/info.json" in rels and "data/chunk-000/file-000.parquet" in rels
        assert not any(r.startswith(".leisaac") for r in rels)
        assert os.stat(snap / "meta/info.json").st_ino == os.stat(root / "meta/info.json").st_ino
        record_episode(w, 5, tag=1).result(30)
    # The later commit replaced metadata by rename: the snapshot still shows one episode.
    assert json.loads((snap / "meta/info.json").read_text())["total_episodes"] == 1
    assert json.loads((root / "meta/info.json").read_text())["total_episodes"] == 2
    assert len(pq.read_table(snap / "meta/episodes/chunk-000/file-000.parquet")) == 1
