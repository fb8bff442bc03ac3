"""Merging whole datasets: indices, tasks, extra columns, frames and video equal the
sources'; every codec we write is packed by stream copy; every difference is listed; the
sources are untouched; a merge that fails at any step leaves no target, and a kill -9 at
any point leaves no target (its leftovers removed by the next merge or open) or the
complete, packed one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataset_helpers import FAST_VIDEO, H, W, decode_frames, make_spec, record_episode

from leisaac_core.dataset import (
    DatasetExistsError,
    DatasetWriter,
    MergeError,
    VideoSettings,
    dataset_dir,
    layout,
    list_datasets,
    load_episode_signals,
    load_episodes,
    merge_datasets,
    tables,
)
from leisaac_core.dataset.encoder import check_mp4
from leisaac_core.dataset.merge import MERGE_WORK_PREFIX
from leisaac_core.dataset.synthetic import read_frame_index, synthetic_state
from leisaac_core.sim.base import CameraSpec

HERE = Path(__file__).parent
A_EPS = [(4, 0, "pick"), (6, 100, "place")]
B_EPS = [(5, 200, "stack"), (3, 300, "pick"), (7, 400, "stack")]


def build(base: Path, repo_id: str, episodes, video=FAST_VIDEO, **spec_kw) -> Path:
    """A dataset as a session leaves it without packing: one file per episode and camera."""
    root = dataset_dir(base, repo_id)
    spec = make_spec(repo_id, **spec_kw)
    with DatasetWriter.open(root, spec, video=video, compact_every=0) as w:
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


def packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]


def span_frames(span) -> list[int]:
    """Frame numbers shown in an episode's span of its (maybe packed) mp4."""
    with av.open(str(span.path)) as c:
        return [
            read_frame_index(f.to_ndarray(format="rgb24"))
            for f in c.decode(video=0)
            if span.from_s - 1e-4 <= f.time < span.to_s - 1e-4
        ]


def check_merged(into: Path, expected) -> None:
    """`expected`: (length, tag, task) per episode, as build() recorded them."""
    episodes = load_episodes(into)
    assert [(e.length, e.seed, e.task) for e in episodes] == expected
    for e, (n, tag, _) in zip(episodes, expected, strict=True):
        sig = load_episode_signals(into, e.index)
        np.testing.assert_allclose(sig["state"][n - 1], synthetic_state(n - 1) + tag)
        for cam in ("front", "wrist"):
            assert span_frames(e.videos[cam]) == [tag + i for i in range(n)], (e.index, cam)


def no_merge_leftovers(into: Path) -> bool:
    return not list(layout.private_dir(into).glob(f"{MERGE_WORK_PREFIX}*"))


@pytest.mark.parametrize("codec", ["h264", "av1"])
def test_merge_packs_every_codec_we_write_by_stream_copy(tmp_path: Path, codec: str) -> None:
    """AV1 once failed in the packing step (PyAV looked up an encoder named libdav1d)."""
    video = VideoSettings(codec=codec, queue_frames=1000)
    if video.encoder_name not in av.codecs_available:
        pytest.skip(f"this PyAV build ({av.__version__}) has no {video.encoder_name} encoder")
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS, video=video), build(base, "m/b", B_EPS, video=video)
    key = "observation.images.wrist"
    source_packets = [
        packets(p) for root in (a, b) for p in sorted(root.glob(f"videos/{key}/*/*.mp4"))
    ]
    into = dataset_dir(base, "m/ab")
    result = merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
    assert (result.episodes, result.frames) == (5, 25)
    (packed,) = sorted(into.glob(f"videos/{key}/*/*.mp4"))
    assert packets(packed) == [p for src in source_packets for p in src]  # not re-encoded
    check_mp4(packed, 25, 30)  # declared duration exact: 25 frames / 30 fps
    assert (
        json.loads((into / layout.INFO_PATH).read_text())["features"][key]["info"]["video.codec"]
        == video.info_codec
    )
    check_merged(into, A_EPS + B_EPS)
    assert no_merge_leftovers(into)


def truncate(path: Path) -> bytes:
    """Cut `path` in half (its mp4 index, or its parquet footer, is then gone); returns the
    original bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return data


@pytest.mark.parametrize(
    ("step", "error"), [("packing", av.error.InvalidDataError), ("data", pa.ArrowInvalid)]
)
def test_a_failed_merge_leaves_no_target_and_a_rerun_succeeds(
    tmp_path: Path, step: str, error: type[Exception]
) -> None:
    """A source file that cannot be read fails the merge in its packing step (an mp4, read
    only when the stream copy joins the files) or while the data files are rewritten."""
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS), build(base, "m/b", B_EPS)
    if step == "packing":
        broken = b / layout.video_path("observation.images.front", 0, 1)
    else:
        broken = b / layout.data_path(0, 2)
    original = truncate(broken)
    into = dataset_dir(base, "m/ab")
    with pytest.raises(error):
        merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
    assert not into.exists()
    assert no_merge_leftovers(into)
    assert [d.repo_id for d in list_datasets(base)] == ["m/a", "m/b"]
    broken.write_bytes(original)
    result = merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
    assert result.episodes == 5
    check_merged(into, A_EPS + B_EPS)
    assert len(list(into.glob("data/*/*.parquet"))) == 1


def test_a_merge_into_a_folder_that_is_not_a_dataset_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a, b = build(base, "m/a", A_EPS[:1]), build(base, "m/b", B_EPS[:1])
    into = dataset_dir(base, "m/ab")
    (into / "notes").mkdir(parents=True)
    with pytest.raises(DatasetExistsError, match="not a LeRobot dataset"):
        merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
    assert [p.name for p in into.iterdir()] == ["notes"]
    (into / "notes").rmdir()  # an empty folder is taken
    merge_datasets([("m/a", a), ("m/b", b)], "m/ab", into)
    check_merged(into, [A_EPS[0], B_EPS[0]])


# A merge killed (SIGKILL, by itself) at a chosen point: deterministic, no timing.
MERGE_CHILD = """
import os, signal, sys
from pathlib import Path
from leisaac_core.dataset import compaction, journal, merge

base, target, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3]


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def then_die(fn):
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        die()
        return out
    return wrapped


if point == "snapshot":  # the first source snapshotted
    merge.snapshot_committed = then_die(merge.snapshot_committed)
elif point == "data":  # the first merged data file written
    merge._copy_data_file = then_die(merge._copy_data_file)
elif point == "journal":  # the merged dataset's journal durable, not applied
    journal.apply_journal = die
elif point == "merged":  # merged (unpacked) in the work folder, packing not started
    compaction.prepare = die
elif point == "packing":  # the first packed mp4 written
    compaction._stream_copy = then_die(compaction._stream_copy)
elif point == "packed":  # packed in the work folder, not published
    merge._publish = die
elif point == "published":  # renamed onto the target, work folder not removed yet
    merge._publish = then_die(merge._publish)
merge.merge_datasets([("m/a", base / "m/a"), ("m/b", base / "m/b")], target, base / target)
"""
KILL_POINTS = ["snapshot", "data", "journal", "merged", "packing", "packed", "published"]


@pytest.fixture(scope="module")
def kill_sources(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("kill") / "datasets"
    build(base, "m/a", A_EPS)
    build(base, "m/b", B_EPS)
    return base


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_during_merge_leaves_no_target_or_the_packed_one(
    kill_sources: Path, point: str
) -> None:
    base = kill_sources
    a, b = base / "m/a", base / "m/b"
    before = (tree(a), tree(b))
    target = f"m/ab-{point}"
    into = dataset_dir(base, target)
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    child = subprocess.run(
        [sys.executable, "-c", MERGE_CHILD, str(base), target, point], env=env, timeout=300
    )
    assert child.returncode == -signal.SIGKILL
    assert not no_merge_leftovers(into)  # what a kill leaves: the work folder
    listed = [d.repo_id for d in list_datasets(base)]
    if point != "published":
        assert not into.exists()
        assert target not in listed  # the half-made dataset in the work folder is not listed
        # The next merge into the target removes the leftovers and does the whole merge.
        assert merge_datasets([("m/a", a), ("m/b", b)], target, into).episodes == 5
    else:
        assert target in listed
        with pytest.raises(DatasetExistsError):
            merge_datasets([("m/a", a), ("m/b", b)], target, into)
    assert len(list(into.glob("data/*/*.parquet"))) == 1  # either way: packed
    with DatasetWriter.open(into, make_spec(target), resume=True) as w:
        assert w.num_episodes == 5
        # A kill after the rename leaves a (small) work folder; opening removes it.
        assert bool(w.repairs) == (point == "published"), w.repairs
    assert no_merge_leftovers(into)
    check_merged(into, A_EPS + B_EPS)
    assert (tree(a), tree(b)) == before
