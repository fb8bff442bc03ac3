"""Two datasets recorded by our writer, merged by lerobot's own aggregate_datasets (which
concatenates our mp4s and places each episode by the files' declared durations), read back
frame by frame by lerobot's reader: every frame decodes and is the frame we wrote. The same
for our own merge, of our datasets and of lerobot's merged (packed) one with one of ours;
and for AV1 (lerobot's default codec): our datasets packed and merged, datasets written by
lerobot's own writer merged by us."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
from dataset_helpers import make_spec, record_episode
from lerobot_reader_support import lerobot_make, run_lerobot_merges, run_lerobot_probe
from test_lerobot_reader import build, check_probe

from leisaac_core.dataset import (
    DatasetWriter,
    VideoSettings,
    compact_dataset,
    dataset_dir,
    merge_datasets,
)
from leisaac_core.so101 import JOINT_FEATURE_NAMES

pytestmark = pytest.mark.compat


def test_lerobot_merges_two_of_our_datasets(lerobot_python, tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a_eps = [(5, 0), (31, 100), (7, 200)]
    b_eps = [(44, 300), (8, 400)]
    a, b = dataset_dir(base, "m/a"), dataset_dir(base, "m/b")
    build(a, "m/a", a_eps)
    build(b, "m/b", b_eps)
    merged = dataset_dir(base, "m/merged")
    run_lerobot_merges(lerobot_python, [([(a, "m/a"), (b, "m/b")], merged, "m/merged")], tmp_path)
    ours = dataset_dir(base, "m/ours")
    merge_datasets([("m/a", a), ("m/b", b)], "m/ours", ours)
    mixed = dataset_dir(base, "m/mixed")  # lerobot's packed files, then ours
    merge_datasets([("m/merged", merged), ("m/b", b)], "m/mixed", mixed)
    results = run_lerobot_probe(
        lerobot_python,
        [(merged, "m/merged"), (ours, "m/ours"), (mixed, "m/mixed")],
        tmp_path,
        stride=1,
    )
    assert len(results[0]["items"]) == sum(n for n, _ in a_eps + b_eps)  # every frame read
    check_probe(results[0], a_eps + b_eps)
    check_probe(results[1], a_eps + b_eps)
    check_probe(results[2], a_eps + b_eps + b_eps)


def build_unpacked(root: Path, repo_id: str, episodes, video: VideoSettings) -> None:
    """Our writer with `video`, left unpacked (one mp4 per episode and camera)."""
    with DatasetWriter.open(root, make_spec(repo_id), video=video, compact_every=0) as w:
        for n, tag in episodes:
            assert record_episode(w, n, tag=tag, offset=tag, task=f"t{tag % 2}").result(60).saved


def mp4s(root: Path, camera: str = "front") -> int:
    return len(list(root.glob(f"videos/observation.images.{camera}/*/*.mp4")))


def test_lerobot_reads_every_frame_of_av1_datasets_packed_and_merged_by_us(
    lerobot_python, tmp_path: Path
) -> None:
    video = VideoSettings(codec="av1", queue_frames=1000)
    if video.encoder_name not in av.codecs_available:
        pytest.skip(f"this PyAV build ({av.__version__}) has no {video.encoder_name} encoder")
    base = tmp_path / "datasets"
    a_eps = [(5, 0), (31, 100), (7, 200)]
    b_eps = [(44, 300), (8, 400)]
    a, b = dataset_dir(base, "v/a"), dataset_dir(base, "v/b")
    build_unpacked(a, "v/a", a_eps, video)
    build_unpacked(b, "v/b", b_eps, video)
    compacted = dataset_dir(base, "v/compacted")
    build_unpacked(compacted, "v/compacted", a_eps + b_eps, video)
    assert compact_dataset(compacted).episodes_moved == 4  # all but the first
    ours = dataset_dir(base, "v/ours")
    merge_datasets([("v/a", a), ("v/b", b)], "v/ours", ours)
    # Written by lerobot's own writer with its default codec (libsvtav1), merged by us.
    la, lb = dataset_dir(base, "v/la"), dataset_dir(base, "v/lb")
    common = {"height": 96, "width": 128, "names": list(JOINT_FEATURE_NAMES)}
    common["robot_type"] = "so101_follower"
    lerobot_make(
        lerobot_python,
        [
            {"root": str(la), "repo_id": "v/la", "episodes": a_eps, **common},
            {"root": str(lb), "repo_id": "v/lb", "episodes": b_eps, **common},
        ],
        tmp_path,
    )
    theirs = dataset_dir(base, "v/theirs")
    merge_datasets([("v/la", la), ("v/lb", lb)], "v/theirs", theirs)
    # lerobot's files and ours in one dataset: other encoder settings (g, crf, preset) but
    # the same AV1 sequence header, so they join into one packed file too.
    mixed = dataset_dir(base, "v/mixed")
    merge_datasets([("v/la", la), ("v/b", b)], "v/mixed", mixed)
    assert [mp4s(d) for d in (compacted, ours, theirs, mixed)] == [1, 1, 1, 1]
    for d in (compacted, ours, theirs, mixed):
        info = json.loads((d / "meta/info.json").read_text())
        assert info["features"]["observation.images.front"]["info"]["video.codec"] == "av1"
    results = run_lerobot_probe(
        lerobot_python,
        [(compacted, "v/compacted"), (ours, "v/ours"), (theirs, "v/theirs"), (mixed, "v/mixed")],
        tmp_path,
        stride=1,
    )
    for result, expected in zip(
        results, [a_eps + b_eps, a_eps + b_eps, a_eps + b_eps, a_eps + b_eps], strict=True
    ):
        assert len(result["items"]) == sum(n for n, _ in expected)  # every frame read
        check_probe(result, expected)
