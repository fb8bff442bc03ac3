"""Merging whole datasets: indices, tasks, extra columns, frames and video equal the
sources'; every difference is listed; the sources are untouched; a kill -9 at any point
leaves either no target or the complete one."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataset_helpers import FAST_VIDEO, H, W, decode_frames, make_spec, record_episode

from leisaac_core.dataset import (
    DatasetExistsError,
    DatasetWriter,
    MergeError,
    dataset_dir,
    layout,
    load_episode_signals,
    load_episodes,
    merge_datasets,
    tables,
)
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_state
from leisaac_core.sim.base import CameraSpec

HERE = Path(__file__).parent
A_EPS = [(4, 0, "pick"), (6, 100, "place")]
B_EPS = [(5, 200, "stack"), (3, 300, "pick"), (7, 400, "stack")]


def build(base: Path, repo_id: str, episodes, **spec_kw) -> Path:
    root = dataset_dir(base, repo_id)
    with DatasetWriter.open(root, make_spec(repo_id, **spec_kw), video=FAST_VIDEO) as w:
        for n, tag, task in episodes:
            record_episode(w, n, tag=tag, offset=tag, task=task, seed=tag).result(60)
    return root


def add_qc_column(root: Path) -> None:
    """Another tool's per-episode column (lerobot ignores it; a merge must keep it)."""
    for path in layout.episodes_files(root):
        t = pq.read_table(path)
        qc = pa.array([f"qc-{e}" for e in t.column("episode_index").to_pylist()])
        pq.write_table(t.append_column("qc/reviewer", qc), path)


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_merge_joins_two_datasets_and_keeps_everything(tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS), build(base, "m/b", B_EPS)
    add_qc_column(b)
    before = (tree(a), tree(b))
    into = dataset_dir(base, "m/ab")
    result = merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into, compact=False)
    assert (result.episodes, result.frames, result.tasks) == (5, 25, 3)
    assert (tree(a), tree(b)) == before  # sources untouched

    all_eps = A_EPS + B_EPS
    episodes = load_episodes(into)
    assert [(e.index, e.length, e.task) for e in episodes] == [
        (i, n, task) for i, (n, _, task) in enumerate(all_eps)
    ]
    assert [e.seed for e in episodes] == [tag for _, tag, _ in all_eps]
    assert all(e.outcome == "success" for e in episodes)
    assert tables.read_tasks(into) == ["pick", "place", "stack"]
    rows = [r for f in layout.episodes_files(into) for r in pq.read_table(f).to_pylist()]
    assert [r["qc/reviewer"] for r in rows] == [None, None, "qc-0", "qc-1", "qc-2"]
    assert rows[3]["stats/episode_index/min"] == [3] and rows[3]["stats/index/min"] == [15]
    assert rows[3]["stats/task_index/max"] == [0]  # "pick" was task 1 in m/b, 0 here

    index = []
    for e, (n, tag, _) in zip(episodes, all_eps, strict=True):
        sig = load_episode_signals(into, e.index)
        np.testing.assert_allclose(sig["state"][n - 1], synthetic_state(n - 1) + tag)
        frames = decode_frames(e.videos["front"].path)
        assert [read_frame_index(f) for f in frames] == [tag + i for i in range(n)]
    for path in sorted(into.glob("data/*/*.parquet")):
        t = pq.read_table(path)
        index += t.column("index").to_pylist()
        task_of = {"pick": 0, "place": 1, "stack": 2}
        (ep,) = set(t.column("episode_index").to_pylist())
        assert set(t.column("task_index").to_pylist()) == {task_of[all_eps[ep][2]]}
        assert pq.ParquetFile(path).metadata.num_row_groups == 1
    assert index == list(range(25))
    # Video is copied, not re-encoded: same bytes as the source file.
    src = a / layout.video_path("observation.images.wrist", 0, 1)
    dst = into / layout.video_path("observation.images.wrist", 0, 1)
    assert src.read_bytes() == dst.read_bytes()
    stats = json.loads((into / layout.STATS_PATH).read_text())
    assert stats["index"]["max"] == [24] and stats["observation.state"]["count"] == [25]
    assert not layout.tmp_dir(into).exists() or not list(layout.tmp_dir(into).iterdir())

    # The merged dataset records on like any other.
    with DatasetWriter.open(into, make_spec("m/ab"), resume=True, video=FAST_VIDEO) as w:
        assert w.repairs == []
        assert record_episode(w, 2, tag=900, task="place").result(30).episode_index == 5
    assert [e.length for e in load_episodes(into)] == [4, 6, 5, 3, 7, 2]


def test_merge_packs_the_result_by_default(tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS), build(base, "m/b", B_EPS)
    into = dataset_dir(base, "m/ab")
    merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
    assert len(list(into.glob("data/*/*.parquet"))) == 1
    assert len(list(into.glob("videos/*/*/*.mp4"))) == 2
    episodes = load_episodes(into)
    assert [e.seed for e in episodes] == [tag for _, tag, _ in A_EPS + B_EPS]
    for e, (n, tag, _) in zip(episodes, A_EPS + B_EPS, strict=True):
        sig = load_episode_signals(into, e.index)
        np.testing.assert_allclose(sig["state"][n - 1], synthetic_state(n - 1) + tag)


def test_merge_lists_every_difference(tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a = build(base, "m/a", A_EPS[:1])
    other = build(
        base,
        "m/odd",
        [(3, 0, "pick")],
        fps=15,
        cameras=(CameraSpec("front", H, W), CameraSpec("side", H, W)),
    )
    with pytest.raises(MergeError) as err:
        merge_datasets([("m/a", a), ("m/odd", other)], "m/x", dataset_dir(base, "m/x"))
    text = str(err.value)
    assert "m/odd vs m/a: fps 15 != 30" in text
    assert "feature observation.images.side only in m/odd" in text
    assert "feature observation.images.wrist only in m/a" in text
    assert "observation.images.front.video.fps 15 != 30" in text
    assert not dataset_dir(base, "m/x").exists()


def test_merge_refuses_bad_targets_and_missing_sources(tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS[:1]), build(base, "m/b", B_EPS[:1])
    with pytest.raises(DatasetExistsError, match="already exists"):
        merge_datasets([("m/a", a), ("m/b", b)], "m/b2", b)
    with pytest.raises(FileNotFoundError, match="m/none"):
        merge_datasets([("m/a", a), ("m/none", dataset_dir(base, "m/none"))], "m/c", base / "c")
    with pytest.raises(ValueError, match="one of the sources"):
        merge_datasets([("m/a", a), ("m/b", b)], "m/a", a)
    with pytest.raises(ValueError, match="at least two"):
        merge_datasets([("m/a", a)], "m/c", dataset_dir(base, "m/c"))


MERGE_CHILD = """
import sys
from pathlib import Path
from leisaac_core.dataset import merge_datasets
base = Path(sys.argv[1])
merge_datasets([("m/a", base / "m/a"), ("m/b", base / "m/b")], "m/ab", base / "m/ab")
print("done", flush=True)
"""


@pytest.mark.slow
def test_kill_9_during_merge_leaves_no_target_or_the_whole_one(tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS), build(base, "m/b", B_EPS)
    before = (tree(a), tree(b))
    into = dataset_dir(base, "m/ab")
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    # How long a whole merge takes here, so kills land throughout it.
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", MERGE_CHILD, str(base)], check=True, env=env)
    full = time.monotonic() - t0
    rng = random.Random(11)
    outcomes = {"complete": 0, "absent": 0}
    for _ in range(6):
        shutil.rmtree(into, ignore_errors=True)
        shutil.rmtree(layout.private_dir(into), ignore_errors=True)
        child = subprocess.Popen([sys.executable, "-c", MERGE_CHILD, str(base)], env=env)
        time.sleep(rng.uniform(0.3, 1.0) * full)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # The next merge (or open) finishes or discards what the killed one left.
        try:
            merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
            outcomes["absent"] += 1
        except DatasetExistsError:
            outcomes["complete"] += 1
        with DatasetWriter.open(into, make_spec("m/ab"), resume=True) as w:
            assert w.num_episodes == 5
        assert [e.length for e in load_episodes(into)] == [n for n, _, _ in A_EPS + B_EPS]
        assert (tree(a), tree(b)) == before
    print("kill outcomes", outcomes)
    assert outcomes["absent"] > 0, outcomes
