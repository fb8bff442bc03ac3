"""Compaction packs committed episodes into lerobot-sized files: one data file with a row
group per episode, one mp4 per camera (stream copy), joined meta/episodes files; every
episode reads back the same; a delete in between aborts it; kill -9 at random points loses
nothing; recording goes on while it runs."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest
from dataset_helpers import FAST_VIDEO, make_spec, record_episode

from leisaac_core.dataset import (
    DatasetWriter,
    VideoSettings,
    compact_dataset,
    dataset_dir,
    delete_episodes,
    layout,
    load_episode_signals,
    load_episodes,
)
from leisaac_core.dataset import compaction as compaction_mod
from leisaac_core.dataset.encoder import check_mp4
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_frame, synthetic_state

HERE = Path(__file__).parent


@pytest.fixture
def small_meta_files(monkeypatch):
    monkeypatch.setattr(layout, "EPISODES_PER_META_FILE", 3)


def episode_frames(span) -> list[int]:
    """Frame numbers shown in an episode's span of its (maybe packed) mp4."""
    out = []
    with av.open(str(span.path)) as c:
        s = c.streams.video[0]
        for frame in c.decode(s):
            t = float(frame.pts * s.time_base)
            if span.from_s - 1e-4 <= t < span.to_s - 1e-4:
                out.append(read_frame_index(frame.to_ndarray(format="rgb24")))
    return out


def check_episodes(root: Path, expected: list[tuple[int, int]]) -> None:
    """`expected`: (length, tag) per episode, recorded with record_episode(tag=tag,
    offset=tag)."""
    episodes = load_episodes(root)
    assert [e.length for e in episodes] == [n for n, _ in expected]
    for e, (n, tag) in zip(episodes, expected, strict=True):
        sig = load_episode_signals(root, e.index)
        np.testing.assert_allclose(sig["state"][n - 1], synthetic_state(n - 1) + tag)
        assert list(sig["frame_index"]) == list(range(n))
        for cam in ("front", "wrist"):
            assert episode_frames(e.videos[cam]) == [tag + i for i in range(n)], (e.index, cam)


def record_all(w: DatasetWriter, expected: list[tuple[int, int]]) -> None:
    for n, tag in expected:
        assert record_episode(w, n, tag=tag, offset=tag).result(60).saved


EPS = [(3 + k % 4, 100 * k) for k in range(8)]


def test_compaction_packs_into_few_files_and_reads_back_the_same(
    tmp_path: Path, small_meta_files
) -> None:
    root = dataset_dir(tmp_path, "c/pack")
    with DatasetWriter.open(root, make_spec("c/pack"), video=FAST_VIDEO, compact_every=0) as w:
        record_all(w, EPS)
        files_before = sum(1 for p in root.rglob("*") if p.is_file())
        result = w.compact().result(120)
        assert result.episodes_moved == 7  # the first episode's files become the packed ones
        # Recording goes on after it, into new per-episode files after the packed ones.
        record_all(w, [(4, 900)])
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [
        "data/chunk-000/file-000.parquet",
        "data/chunk-000/file-008.parquet",
        "meta/episodes/chunk-000/file-000.parquet",
        "meta/episodes/chunk-000/file-002.parquet",  # the last (rewritten by commits)
        "meta/info.json",
        "meta/stats.json",
        "meta/tasks.parquet",
        "videos/observation.images.front/chunk-000/file-000.mp4",
        "videos/observation.images.front/chunk-000/file-008.mp4",
        "videos/observation.images.wrist/chunk-000/file-000.mp4",
        "videos/observation.images.wrist/chunk-000/file-008.mp4",
    ]
    assert files_before == 8 * 3 + 3 + 3
    packed = pq.ParquetFile(root / "data/chunk-000/file-000.parquet")
    assert packed.metadata.num_row_groups == 8  # one per episode
    check_episodes(root, EPS + [(4, 900)])
    with DatasetWriter.open(root, make_spec("c/pack"), resume=True, compact_every=0) as w:
        assert w.repairs == []
        assert w.compact().result(120).episodes_moved == 1  # only the new one moves
    check_episodes(root, EPS + [(4, 900)])
    assert len(list(root.glob("data/*/*.parquet"))) == 1


def test_compaction_leaves_packed_meta_files_without_moved_episodes_alone(
    tmp_path: Path, monkeypatch
) -> None:
    """Each compaction rewrites only new episode rows (and packed neighbours no larger than
    them): a packed meta/episodes file whose episodes did not move is never read or
    rewritten, so compaction's metadata work does not grow with the dataset."""
    monkeypatch.setattr(layout, "EPISODES_PER_META_FILE", 2)
    root = dataset_dir(tmp_path, "c/meta")
    eps = [(3, 100 * k) for k in range(12)]
    with DatasetWriter.open(root, make_spec("c/meta"), video=FAST_VIDEO, compact_every=0) as w:
        record_all(w, eps[:9])
        w.compact().result(120)  # rows 0-7 sealed in 4 files: packed into one at slot 0
        first = root / "meta/episodes/chunk-000/file-000.parquet"
        assert pq.ParquetFile(first).metadata.num_rows == 8
        identity = (first.stat().st_ino, first.stat().st_mtime_ns)
        record_all(w, eps[9:])
        assert w.compact().result(120).episodes_moved == 3  # the new episodes only
        assert (first.stat().st_ino, first.stat().st_mtime_ns) == identity
    check_episodes(root, eps)
    assert len(list(root.glob("data/*/*.parquet"))) == 1


def test_compaction_runs_in_the_background_while_recording(
    tmp_path: Path, small_meta_files
) -> None:
    root = dataset_dir(tmp_path, "c/bg")
    eps = [(3 + k % 5, 10 * k) for k in range(14)]
    with DatasetWriter.open(root, make_spec("c/bg"), video=FAST_VIDEO, compact_every=4) as w:
        futures = []
        for n, tag in eps:
            futures.append(record_episode(w, n, tag=tag, offset=tag))
        assert all(f.result(60).saved for f in futures)
    check_episodes(root, eps)
    assert len(list(root.glob("data/*/*.parquet"))) < len(eps)


def test_delete_after_and_during_compaction(tmp_path: Path, small_meta_files) -> None:
    root = dataset_dir(tmp_path, "c/del")
    with DatasetWriter.open(root, make_spec("c/del"), video=FAST_VIDEO, compact_every=0) as w:
        record_all(w, EPS)
        # Prepared, then a delete lands before it installs: it aborts, changing nothing.
        prepared = compaction_mod.prepare(root, w._generation)
        assert prepared is not None
        w.delete_episodes([0]).result(60)
        with pytest.raises(compaction_mod.CompactionConflict):
            compaction_mod.install(root, w._state, prepared, w._generation)
        assert not list(layout.tmp_dir(root).iterdir())
        assert w.compact().result(120).episodes_moved == 6  # all but the first
    delete_episodes(root, [2, 5])
    kept = [EPS[i] for i in (1, 2, 4, 5, 7)]
    check_episodes(root, kept)
    packed = pq.ParquetFile(root / "data/chunk-000/file-001.parquet")
    assert packed.metadata.num_row_groups == 5


COMPACT_CHILD = """
import sys, time
from leisaac_core.dataset import compact_dataset
print("ready", flush=True)
sys.stdin.readline()
t0 = time.monotonic()
compact_dataset(sys.argv[1])
print(time.monotonic() - t0, flush=True)
"""


def start_child(work: Path, env: dict) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", COMPACT_CHILD, str(work)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    return child


@pytest.mark.slow
def test_kill_9_during_compaction_loses_nothing(tmp_path: Path) -> None:
    template = dataset_dir(tmp_path / "template", "c/kill")
    eps = [(3 + k % 4, 100 * k) for k in range(10)]
    with DatasetWriter.open(template, make_spec("c/kill"), video=FAST_VIDEO, compact_every=0) as w:
        record_all(w, eps)
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    work = dataset_dir(tmp_path / "work", "c/kill")
    shutil.copytree(template, work)
    child = start_child(work, env)
    out, _ = child.communicate("go\n", timeout=120)
    full = float(out.strip())  # the compaction alone, imports excluded
    rng = random.Random(5)
    packed_seen = 0
    for _ in range(8):
        shutil.rmtree(work)
        shutil.rmtree(layout.private_dir(work), ignore_errors=True)
        shutil.copytree(template, work)
        child = start_child(work, env)
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(rng.uniform(0.0, 1.1) * full)
        child.send_signal(signal.SIGKILL)
        child.wait()
        with DatasetWriter.open(work, make_spec("c/kill"), resume=True, compact_every=0) as w:
            assert w.num_episodes == len(eps)
        packed_seen += len(list(work.glob("data/*/*.parquet"))) == 1
        check_episodes(work, eps)
        compact_dataset(work)  # and it can still be compacted afterwards
        check_episodes(work, eps)
    print(f"compaction {full:.2f} s; trials that ended packed: {packed_seen} of 8")


class Crash(BaseException):
    """Stands in for the process dying right after the journal is durable."""


@pytest.mark.parametrize("renames_done", [0, 1, 3])
def test_compaction_interrupted_after_its_journal_rolls_forward(
    tmp_path: Path, monkeypatch, renames_done: int
) -> None:
    from leisaac_core.dataset import journal as journal_mod

    root = dataset_dir(tmp_path, "c/roll")
    with DatasetWriter.open(root, make_spec("c/roll"), video=FAST_VIDEO, compact_every=0) as w:
        record_all(w, EPS)
    prepared = compaction_mod.prepare(root)
    assert prepared is not None

    def partial_apply(r: Path) -> None:
        import json

        j = json.loads(layout.journal_path(r).read_text())
        for tmp_rel, final_rel in j["renames"][:renames_done]:
            os.replace(layout.private_dir(r) / tmp_rel, r / final_rel)
        raise Crash()

    monkeypatch.setattr(journal_mod, "apply_journal", partial_apply)
    from leisaac_core.dataset.state import DatasetState

    with pytest.raises(Crash):
        compaction_mod.install(root, DatasetState.load(root), prepared, prepared.generation)
    monkeypatch.undo()
    with DatasetWriter.open(root, make_spec("c/roll"), resume=True, compact_every=0) as w:
        assert any("compact" in r for r in w.repairs)
    check_episodes(root, EPS)
    assert len(list(root.glob("data/*/*.parquet"))) == 1


def test_compaction_rotates_files_at_the_size_limits(tmp_path: Path) -> None:
    """Small limits: several packed files per kind, each episode still found in its own."""
    from leisaac_core.dataset.state import DatasetState

    root = dataset_dir(tmp_path, "c/rot")
    with DatasetWriter.open(root, make_spec("c/rot"), video=FAST_VIDEO, compact_every=0) as w:
        record_all(w, EPS)
    data = sorted(root.glob("data/*/*.parquet"))
    video = sorted(root.glob("videos/observation.images.front/*/*.mp4"))
    data_mb = 2.5 * max(p.stat().st_size for p in data) / 2**20
    video_mb = 2.5 * max(p.stat().st_size for p in video) / 2**20
    prepared = compaction_mod.prepare(root, 0, data_limit_mb=data_mb, video_limit_mb=video_mb)
    assert prepared is not None
    compaction_mod.install(root, DatasetState.load(root), prepared, 0)
    n_data = len(list(root.glob("data/*/*.parquet")))
    n_video = len(list(root.glob("videos/observation.images.front/*/*.mp4")))
    assert 2 <= n_data < len(EPS) and 2 <= n_video < len(EPS)
    check_episodes(root, EPS)


def packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]


def video_settings(codec: str) -> VideoSettings:
    """Our writer's settings for `codec`; skips (with the reason) when this PyAV build
    cannot encode it."""
    video = VideoSettings(codec=codec, queue_frames=1000)
    if video.encoder_name not in av.codecs_available:
        pytest.skip(f"this PyAV build ({av.__version__}) has no {video.encoder_name} encoder")
    return video


@pytest.mark.parametrize("codec", ["h264", "av1"])
def test_compaction_stream_copies_every_codec_we_write(tmp_path: Path, codec: str) -> None:
    """AV1 once failed here: PyAV looked up an encoder named after the decoder (libdav1d)."""
    root = dataset_dir(tmp_path, f"c/{codec}")
    video = video_settings(codec)
    eps = EPS[:5]
    with DatasetWriter.open(root, make_spec(f"c/{codec}"), video=video, compact_every=0) as w:
        record_all(w, eps)
    key = "observation.images.front"
    sources = [packets(p) for p in sorted(root.glob(f"videos/{key}/*/*.mp4"))]
    assert compact_dataset(root).episodes_moved == len(eps) - 1  # all but the first
    (packed,) = sorted(root.glob(f"videos/{key}/*/*.mp4"))
    assert packets(packed) == [p for src in sources for p in src]  # copied, not re-encoded
    with av.open(str(packed)) as c:
        assert c.streams.video[0].codec_context.codec.id == av.Codec(video.encoder_name, "w").id
    check_mp4(packed, sum(n for n, _ in eps), 30)  # the declared duration stays exact
    check_episodes(root, eps)


def write_mp4(path: Path, encoder: str, frames: int, first: int) -> None:
    """`frames` synthetic frames (numbers from `first`) encoded by PyAV with `encoder`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream(encoder, rate=30)
        s.width, s.height, s.pix_fmt = 128, 96, "yuv420p"
        for i in range(frames):
            image = synthetic_frame(first + i, 96, 128)
            for p in s.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


@pytest.mark.parametrize("encoder", ["libx264", "libx265", "libsvtav1"])
def test_stream_copy_joins_mp4s_of_h264_hevc_and_av1(tmp_path: Path, encoder: str) -> None:
    """The codecs lerobot writes (its default AV1, h264, hevc) with their encoders' defaults
    (B-frames included): joined packet for packet, durations exact."""
    if encoder not in av.codecs_available:
        pytest.skip(f"this PyAV build ({av.__version__}) has no {encoder} encoder")
    key = "observation.images.front"
    lengths = [5, 7, 4]
    for k, n in enumerate(lengths):
        write_mp4(tmp_path / layout.video_path(key, 0, k), encoder, n, 100 * k)
    run = [compaction_mod._File((0, k), [], 0) for k in range(len(lengths))]
    assert (
        len({compaction_mod._codec_params(tmp_path / layout.video_path(key, *f.key)) for f in run})
        == 1
    )
    sources = [packets(tmp_path / layout.video_path(key, *f.key)) for f in run]
    dst = tmp_path / "packed.mp4"
    offsets = compaction_mod._stream_copy(tmp_path, key, run, dst, 30)  # runs check_mp4
    assert offsets == [0.0, 5 / 30, 12 / 30]
    assert packets(dst) == [p for src in sources for p in src]
    with av.open(str(dst)) as c:
        shown = [read_frame_index(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    assert shown == [100 * k + i for k, n in enumerate(lengths) for i in range(n)]


def test_compaction_while_recording_joins_only_what_is_new() -> None:
    """The periodic compaction is size-tiered: new files join, and an earlier packed file
    joins them only while it is no larger than they are, so each run copies in proportion
    to what is new. The pack at rest (tiered=False) joins everything up to the limit."""
    from leisaac_core.dataset.compaction import _File, _group

    def sizes(groups):
        return [[f.size for f in g] for g in groups]

    def files(*s):
        return [_File((0, i), [], size) for i, size in enumerate(s)]

    assert sizes(_group(files(1000, 100, 100, 100, 100), 10_000, tiered=True)) == [
        [1000],
        [100, 100, 100, 100],
    ]
    assert sizes(_group(files(2000, 300, 100, 100, 100, 100), 10_000, tiered=True)) == [
        [2000],
        [300, 100, 100, 100, 100],
    ]
    assert sizes(_group(files(1000, 100, 100), 10_000, tiered=False)) == [[1000, 100, 100]]
    # The limit holds in both.
    assert sizes(_group(files(100, 100, 100), 250, tiered=True)) == [[100], [100, 100]]
    assert sizes(_group(files(100, 100, 100), 250, tiered=False)) == [[100, 100], [100]]
    assert _group([], 100, tiered=True) == []
