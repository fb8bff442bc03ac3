"""Every closed mp4 declares exactly its frames and frames / fps (lerobot's merge places
episodes by the declared duration), and the dataset folder holds only what lerobot expects."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from dataset_helpers import FAST_VIDEO, make_spec, record_episode

from leisaac_core.dataset import DatasetWriter, layout, load_episodes
from leisaac_core.dataset.encoder import (
    CameraEncoder,
    EncoderThreads,
    VideoCheckError,
    check_mp4,
)
from leisaac_core.dataset.spec import VideoSettings


def encode_noise(path: Path, n: int, fps: int = 30, seed: int = 0) -> None:
    """Noise frames through our encoder (the content that made libx264 B-frames show the
    duration defect); small frames keep it fast."""
    rng = np.random.default_rng(seed)
    threads = EncoderThreads()
    enc = CameraEncoder(
        path, 64, 48, fps, VideoSettings(queue_frames=1000), name="noise", threads=threads
    )
    for i in range(n):
        enc.offer(i, rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    try:
        enc.finish(n)  # runs check_mp4; raises if the file declares anything else
    finally:
        threads.close()


def remux_with_last_duration(src: Path, dst: Path, last_duration: int) -> None:
    """Copy `src` packet by packet, giving the last packet another duration (what a muxer
    that mis-accounts B-frame delay produces: a declared duration off frames / fps)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        istream = inp.streams.video[0]
        ostream = out.add_stream_from_template(istream)
        packets = [p for p in inp.demux(istream) if p.size]
        for i, packet in enumerate(packets):
            if i == len(packets) - 1:
                packet.duration = last_duration
            packet.stream = ostream
            out.mux(packet)


@pytest.mark.parametrize("n", [1, 29, 397, 404])
def test_encoder_output_declares_its_frames_and_duration(tmp_path: Path, n: int) -> None:
    path = tmp_path / "v.mp4"
    encode_noise(path, n)
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        assert v.frames == n
        assert Fraction(v.duration) * v.time_base == Fraction(n, 30)
        # No B-frames: decode order is presentation order.
        pts = [p.pts for p in c.demux(v) if p.size]
        assert pts == sorted(pts)


def test_check_rejects_a_wrong_declared_duration_or_frame_count(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.mp4", tmp_path / "bad.mp4"
    encode_noise(good, 40)
    check_mp4(good, 40, 30)
    with pytest.raises(VideoCheckError, match="41 encoded"):
        check_mp4(good, 41, 30)
    with av.open(str(good)) as c:
        tick = c.streams.video[0].time_base
    per_frame = int(Fraction(1, 30) / tick)
    remux_with_last_duration(good, bad, per_frame - 5)
    with pytest.raises(VideoCheckError, match="duration .* declared"):
        check_mp4(bad, 40, 30)


def test_dataset_folder_holds_only_lerobot_files(tmp_path: Path) -> None:
    root = tmp_path / "ns" / "clean"
    with DatasetWriter.open(root, make_spec("ns/clean"), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
        w.start_episode("pick")  # an episode in progress has files in the private folder
        assert {p.name for p in root.iterdir()} == {"data", "meta", "videos"}
        assert layout.private_dir(root).parent == root.parent
    assert not [p for p in root.rglob("*") if p.name.startswith(".")]


def test_legacy_private_folder_inside_the_dataset_is_finished_and_removed(
    tmp_path: Path,
) -> None:
    """A dataset left by an older version mid-commit: its journal (temp names relative to
    the dataset folder) is rolled forward, then `.leisaac/` goes."""
    root = tmp_path / "ns" / "old"
    with DatasetWriter.open(root, make_spec("ns/old"), video=FAST_VIDEO) as w:
        record_episode(w, 3).result(30)
    legacy = root / ".leisaac"
    (legacy / "tmp").mkdir(parents=True)
    info = json.loads((root / "meta/info.json").read_text())
    staged = legacy / "tmp" / "stage-x.json"
    staged.write_text(json.dumps({**info, "robot_type": "so101_follower"}))
    (legacy / "journal.json").write_text(
        json.dumps(
            {
                "description": "old commit",
                "renames": [[".leisaac/tmp/stage-x.json", "meta/info.json"]],
                "removals": [],
            }
        )
    )
    (legacy / "writer.lock").write_text("123")
    os.utime(staged)
    with DatasetWriter.open(root, make_spec("ns/old"), resume=True, video=FAST_VIDEO) as w:
        assert any("old commit" in r for r in w.repairs)
        assert any("out of the dataset folder" in r for r in w.repairs)
        record_episode(w, 2, tag=1).result(30)
    assert not legacy.exists()
    assert [e.length for e in load_episodes(root)] == [3, 2]
