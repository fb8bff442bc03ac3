"""Our default robot identity merges with what `lerobot-record` writes for a real SO-101
follower: a dataset made by lerobot's own LeRobotDataset writer in that shape (robot_type
so_follower, `shoulder_pan.pos`..`gripper.pos` in degrees, cameras front and wrist) and one
of ours recorded through our recorder with the default identity are merged by lerobot's own
aggregate_datasets, in both orders, in h264 and in lerobot's default AV1, and lerobot's
reader reads every frame of each result as written. LeIsaac's identity stays refused by
lerobot's merge (another robot_type)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from dataset_helpers import CAMERAS, H, W, frame_images
from lerobot_reader_support import lerobot_make, run_lerobot_merges, run_lerobot_probe

from leisaac_core import so101
from leisaac_core.dataset import DatasetSpec, DatasetWriter, EpisodeRecorder, VideoSettings
from leisaac_core.dataset.identity import DEFAULT_IDENTITY, get_identity
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_action, synthetic_state

pytestmark = pytest.mark.compat

OURS = [(6, 0), (33, 100)]
THEIRS = [(9, 200), (12, 300)]


def _record_ours(root: Path, repo_id: str, codec: str) -> None:
    """Through our recorder with the default identity: it stores degrees. The values fed
    in are chosen so that what is stored is synthetic_state(i) + tag, like lerobot's."""
    identity = get_identity(DEFAULT_IDENTITY)
    assert identity.units == "degrees"
    spec = DatasetSpec(
        repo_id=repo_id,
        fps=30,
        robot_type=identity.robot_type_for("so101_follower"),
        state_names=so101.JOINT_FEATURE_NAMES,
        action_names=so101.JOINT_FEATURE_NAMES,
        cameras=CAMERAS,
    )
    video = VideoSettings(codec=codec, queue_frames=1000)
    with DatasetWriter.open(root, spec, video=video) as writer:
        recorder = EpisodeRecorder(writer, warmup_frames=0, to_dataset=identity.to_dataset)
        for n, tag in OURS:
            recorder.begin(f"t{tag % 2}")
            for i in range(n):
                recorder.step(
                    identity.from_dataset(synthetic_state(i) + tag),
                    identity.from_dataset(synthetic_action(i) + tag),
                    frame_images(tag + i),
                )
            assert recorder.end("success").result(60).saved


def _check(result: dict[str, np.ndarray], episodes: list[tuple[int, int]]) -> None:
    assert int(result["num_frames"]) == sum(n for n, _ in episodes)
    assert len(result["items"]) == int(result["num_frames"])  # every frame read
    starts = np.cumsum([0] + [n for n, _ in episodes])
    for row, item in enumerate(result["items"]):
        ep = int(np.searchsorted(starts, item, side="right") - 1)
        frame, tag = int(item - starts[ep]), episodes[ep][1]
        assert result["episode_index"][row] == ep and result["frame_index"][row] == frame
        assert result["timestamp"][row] == pytest.approx(frame / 30, abs=1e-6)
        np.testing.assert_allclose(result["state"][row], synthetic_state(frame) + tag, atol=1e-3)
        np.testing.assert_allclose(result["action"][row], synthetic_action(frame) + tag, atol=1e-3)
        for key in ("front", "wrist"):
            img = result[f"img/observation.images.{key}"][row]
            assert read_frame_index(img) == tag + frame, (key, ep, frame)


@pytest.mark.parametrize("codec", ["h264", "av1"])
def test_default_identity_merges_with_a_real_so101_lerobot_dataset_in_both_orders(
    lerobot_python, tmp_path: Path, codec: str
) -> None:
    video = VideoSettings(codec=codec)
    if video.encoder_name not in av.codecs_available:
        pytest.skip(f"this PyAV build has no {video.encoder_name} encoder")
    base = tmp_path / "datasets"
    ours, theirs = base / "id" / "ours", base / "id" / "real"
    _record_ours(ours, "id/ours", codec)
    info = json.loads((ours / "meta/info.json").read_text())
    assert info["robot_type"] == "so_follower"
    # lerobot-record's shape for a real SO-101 follower (use_degrees): its writer, its codec
    # (h264 as `--dataset.vcodec=h264` gives, or its default libsvtav1).
    job = {
        "root": str(theirs),
        "repo_id": "id/real",
        "episodes": THEIRS,
        "height": H,
        "width": W,
        "names": list(so101.JOINT_FEATURE_NAMES),
        "robot_type": "so_follower",
    }
    if codec == "h264":
        job["vcodec"] = "h264"
    lerobot_make(lerobot_python, [job], tmp_path)
    real_info = json.loads((theirs / "meta/info.json").read_text())
    assert real_info["features"]["observation.images.front"]["info"]["video.codec"] == codec
    merged = {"real_first": base / "id" / "real_first", "ours_first": base / "id" / "ours_first"}
    run_lerobot_merges(
        lerobot_python,
        [
            ([(theirs, "id/real"), (ours, "id/ours")], merged["real_first"], "id/real_first"),
            ([(ours, "id/ours"), (theirs, "id/real")], merged["ours_first"], "id/ours_first"),
        ],
        tmp_path,
    )
    results = run_lerobot_probe(
        lerobot_python,
        [(merged["real_first"], "id/real_first"), (merged["ours_first"], "id/ours_first")],
        tmp_path,
    )
    _check(results[0], THEIRS + OURS)
    _check(results[1], OURS + THEIRS)
