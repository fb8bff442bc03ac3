"""LeIsaac recorder semantics: warm-up, success saves, failure discards or goes to a side
dataset, episodes that end during warm-up are simply not saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from dataset_helpers import FAST_VIDEO, frame_images, make_spec

from leisaac_core.dataset import (
    DatasetWriter,
    EpisodeMeta,
    EpisodeRecorder,
    dataset_dir,
    failures_repo_id,
    layout,
    load_episodes,
)
from leisaac_core.dataset.synthetic import synthetic_state


def run_steps(rec: EpisodeRecorder, n: int, start: int = 0) -> list[bool]:
    return [
        rec.step(synthetic_state(i), synthetic_state(i), frame_images(i))
        for i in range(start, start + n)
    ]


def test_warmup_frames_are_not_recorded(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, "t/rec")
    with DatasetWriter.open(root, make_spec("t/rec"), video=FAST_VIDEO) as w:
        rec = EpisodeRecorder(w, warmup_frames=5)
        assert not rec.step(synthetic_state(0), synthetic_state(0), frame_images(0))
        rec.begin("pick")
        assert rec.in_warmup
        recorded = run_steps(rec, 12)
        assert recorded == [False] * 5 + [True] * 7
        assert not rec.in_warmup
        saved = rec.end("success", EpisodeMeta(seed=3)).result(30)
        assert saved.saved and saved.length == 7
    # The first recorded frame is step 6 (index 5): its state is what was recorded.
    data = pq.read_table(root / "data/chunk-000/file-000.parquet").to_pydict()
    np.testing.assert_allclose(data["observation.state"][0], synthetic_state(5))
    assert load_episodes(root)[0].outcome == "success"


def test_episode_shorter_than_warmup_is_not_saved_and_does_not_raise(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, "t/short")
    with DatasetWriter.open(root, make_spec("t/short"), video=FAST_VIDEO) as w:
        rec = EpisodeRecorder(w, warmup_frames=5)
        for n in (0, 1, 5):
            rec.begin("pick")
            run_steps(rec, n)
            result = rec.end("success").result(10)
            assert not result.saved and "no recorded frames" in result.reason
        rec.begin("pick")
        run_steps(rec, 6)
        assert rec.end("success").result(30).length == 1
    assert [e.length for e in load_episodes(root)] == [1]


def test_failure_discards_without_failures_writer(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, "t/fail")
    with DatasetWriter.open(root, make_spec("t/fail"), video=FAST_VIDEO) as w:
        rec = EpisodeRecorder(w, warmup_frames=2)
        for outcome in ("failure", "timeout", "discarded"):
            rec.begin("pick")
            run_steps(rec, 6)
            assert rec.end(outcome) is None
        rec.begin("pick")
        run_steps(rec, 6)
        rec.end("success").result(30)
    assert [e.outcome for e in load_episodes(root)] == ["success"]


def test_failures_are_kept_labelled_in_a_separate_dataset(tmp_path: Path) -> None:
    main_id = "t/main"
    fail_id = failures_repo_id(main_id)
    main_root, fail_root = dataset_dir(tmp_path, main_id), dataset_dir(tmp_path, fail_id)
    with (
        DatasetWriter.open(main_root, make_spec(main_id), video=FAST_VIDEO) as w,
        DatasetWriter.open(fail_root, make_spec(fail_id), video=FAST_VIDEO) as fw,
    ):
        rec = EpisodeRecorder(w, warmup_frames=1, failures=fw)
        rec.begin("pick")
        run_steps(rec, 4)
        f1 = rec.end("failure", EpisodeMeta(note="dropped orange"))
        rec.begin("pick")
        run_steps(rec, 5)
        s1 = rec.end("success")
        rec.begin("pick")
        run_steps(rec, 3)
        f2 = rec.end("timeout")
        assert f1.result(30).saved and f1.result().repo_id == fail_id
        assert s1.result(30).episode_index == 0 and s1.result().repo_id == main_id
        assert f2.result(30).episode_index == 1
    main = load_episodes(main_root)
    fails = load_episodes(fail_root)
    assert [(e.outcome, e.length) for e in main] == [("success", 4)]
    assert [(e.outcome, e.length, e.note) for e in fails] == [
        ("failure", 3, "dropped orange"),
        ("timeout", 2, ""),
    ]
    assert all(v.path.exists() for e in fails for v in e.videos.values())
    assert not list(layout.tmp_dir(main_root).glob("*"))


def test_begin_again_rerecords_the_same_index(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, "t/rr")
    with DatasetWriter.open(root, make_spec("t/rr"), video=FAST_VIDEO) as w:
        rec = EpisodeRecorder(w, warmup_frames=0)
        assert rec.begin("pick") == 0
        run_steps(rec, 3)
        rec.abort()
        assert rec.begin("pick") == 0
        run_steps(rec, 2)
        assert rec.begin("pick") == 0  # begin while active re-records
        run_steps(rec, 4)
        assert rec.end("success").result(30).length == 4
