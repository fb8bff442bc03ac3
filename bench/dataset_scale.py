"""Benchmark datasets at scale: commit latency, reopen time, file count and metadata size as
the dataset grows, beside lerobot's own writer.

Tiny synthetic episodes (2 cameras 64x48, 10 frames, 6-D state and action, 30 fps), so the
figures show what grows with the dataset rather than encoding cost.
- real sizes (<= --real-up-to): every episode is recorded through DatasetWriter.
- merged sizes (<= --merged-up-to): --merge-unit episodes recorded, then our merge of
  hard-link copies of that dataset (every file real; the merge time is reported).
- larger sizes: metadata-only. One real episode is recorded, then its row is repeated to N
  rows (indices renumbered, stats.json scaled) in capped meta/episodes files, and the last
  row's data and video files are hard links of the real ones. Enough for what a commit and
  a reopen read; not a dataset lerobot can load. `files` then counts the files the metadata
  references (what a real dataset of that size would hold).
At each size: reopen (open with resume=True, then close) median of 3, then --samples more
episodes recorded and their commit latency (save_episode until durable) median, all with
compaction off (the worst case: one file per episode). `files` and `meta_*` are counted at
N episodes; for real sizes a compaction then runs and `files_compacted_at_n_plus_samples`
counts the files after it (N + samples episodes).
Anchor: lerobot 0.4.4's own writer (test-only venv) at --lerobot-sizes: save_episode median
over the last --samples episodes, reopen (LeRobotDataset(...) load), files.

--every-commit N: instead, N episodes into one dataset as a session records them (background
compaction on), EVERY commit timed, p50/p99/max per block of --block commits, then the pack
at rest and its files per episode; beside lerobot's writer with every save_episode timed
(bench/results/dataset_commits.json).

usage: .venv/bin/python bench/dataset_scale.py [--sizes 10 1000 10000 100000]
       [--real-up-to 1000] [--merged-up-to 10000] [--merge-unit 1000] [--samples 20] [--lerobot-sizes 10 1000] [--no-lerobot]
       .venv/bin/python bench/dataset_scale.py --every-commit 10000 [--block 500] [--no-lerobot]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leisaac_core.dataset import (  # noqa: E402
    DatasetSpec,
    DatasetWriter,
    EpisodeMeta,
    VideoSettings,
    compact_dataset,
    layout,
    merge_datasets,
    tables,
)
from leisaac_core.dataset.fsutil import json_bytes  # noqa: E402
from leisaac_core.dataset.state import referenced_files  # noqa: E402
from leisaac_core.dataset.synthetic import synthetic_frame  # noqa: E402
from leisaac_core.sim.base import CameraSpec  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from leisaac_core.so101 import JOINT_FEATURE_NAMES  # noqa: E402

FPS, H, W, FRAMES = 30, 48, 64, 10
CAMS = ("front", "wrist")
RESULTS = Path(__file__).parent / "results" / "dataset_scale.json"
READER_VENV = Path(
    os.environ.get(
        "LEROBOT_READER_VENV", Path.home() / ".cache/leisaac-dashboard/lerobot-reader-venv"
    )
)
VIDEO = VideoSettings(queue_frames=100)
SPEC = DatasetSpec(
    "bench/scale",
    FPS,
    "so101_follower",
    JOINT_FEATURE_NAMES,
    JOINT_FEATURE_NAMES,
    tuple(CameraSpec(c, H, W) for c in CAMS),
)
POOL = [{c: synthetic_frame(i, H, W, k) for k, c in enumerate(CAMS)} for i in range(FRAMES)]


def record(writer: DatasetWriter, k: int) -> float:
    writer.start_episode(f"task {k % 3}")
    for i in range(FRAMES):
        s = np.full(6, k + i, np.float32)
        writer.add_frame(s, s, POOL[i])
    saved = writer.save_episode(EpisodeMeta(seed=k)).result(120)
    return saved.commit_s


def fill_real(root: Path, n: int) -> None:
    with DatasetWriter.open(root, SPEC, video=VIDEO, compact_every=0) as w:
        for k in range(n):
            record(w, k)


def fill_merged(root: Path, n: int, unit: int) -> float:
    """N real episodes: `unit` recorded, hard-link copies of that dataset, and our merge of
    the copies (all files real, so it also loads in lerobot). Returns the merge's seconds."""
    if n % unit:
        raise SystemExit(f"--merge-unit {unit} must divide {n}")
    base = root.parent / "_unit"
    fill_real(base, unit)
    sources = []
    for i in range(n // unit):
        copy = root.parent / f"_copy{i}"
        subprocess.run(["cp", "-al", str(base), str(copy)], check=True)
        sources.append((f"bench/_copy{i}", copy))
    t0 = time.perf_counter()
    merge_datasets(sources, "bench/scale", root)
    merge_s = time.perf_counter() - t0
    for _, path in sources:
        shutil.rmtree(path)
    shutil.rmtree(base)
    return merge_s


def fill_metadata_only(root: Path, n: int) -> None:
    """N episode rows from one real episode (see the module docstring)."""
    fill_real(root, 1)
    template = tables.read_episodes_table(root)
    assert template is not None
    files = layout.episodes_files(root)
    per = layout.EPISODES_PER_META_FILE
    last_data = None
    for slot, start in enumerate(range(0, n, per)):
        m = min(per, n - start)
        t = pa.concat_tables([template] * m)
        idx = np.arange(start, start + m, dtype=np.int64)
        chunk, file = layout.slot_to_chunk_file(slot)
        dchunk, dfile = np.divmod(idx, layout.CHUNKS_SIZE)
        cols = {
            "episode_index": idx,
            "dataset_from_index": idx * FRAMES,
            "dataset_to_index": (idx + 1) * FRAMES,
            "data/chunk_index": dchunk,
            "data/file_index": dfile,
            "meta/episodes/chunk_index": np.full(m, chunk),
            "meta/episodes/file_index": np.full(m, file),
        }
        for key in SPEC.video_keys:
            cols[f"videos/{key}/chunk_index"] = dchunk
            cols[f"videos/{key}/file_index"] = dfile
        for name, values in cols.items():
            t = t.set_column(t.schema.get_field_index(name), name, pa.array(values, pa.int64()))
        tables.write_parquet(t, root / layout.episodes_path(slot))
        last_data = (int(dchunk[-1]), int(dfile[-1]))
    for f in files:
        if f.relative_to(root).as_posix() != layout.episodes_path(0):
            f.unlink()
    assert last_data is not None
    pairs = [(layout.data_path(0, 0), layout.data_path(*last_data))]
    pairs += [
        (layout.video_path(k, 0, 0), layout.video_path(k, *last_data)) for k in SPEC.video_keys
    ]
    for src, dst in pairs:
        if src != dst:
            (root / dst).parent.mkdir(parents=True, exist_ok=True)
            os.link(root / src, root / dst)
    info = json.loads((root / layout.INFO_PATH).read_text())
    info.update(total_episodes=n, total_frames=n * FRAMES, splits={"train": f"0:{n}"})
    (root / layout.INFO_PATH).write_bytes(json_bytes(info))
    stats = json.loads((root / layout.STATS_PATH).read_text())
    for value in stats.values():
        value["count"] = [int(value["count"][0]) * n]
    (root / layout.STATS_PATH).write_bytes(json_bytes(stats))


def file_count(root: Path, real: bool) -> int:
    if real:
        return sum(len(fs) for _, _, fs in os.walk(root))
    return len(referenced_files(root))


def meta_bytes(root: Path) -> int:
    return sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root / "meta") for f in fs
    )


def bench_ours(n: int, mode: str, samples: int, unit: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    root = tmp / "bench" / "scale"
    real = mode != "metadata-only"
    extra: dict = {}
    try:
        t0 = time.perf_counter()
        if mode == "real":
            fill_real(root, n)
        elif mode == "merged":
            extra["merge_s"] = fill_merged(root, n, unit)
        else:
            fill_metadata_only(root, n)
        fill_s = time.perf_counter() - t0
        files, meta_files, meta = (
            file_count(root, real),
            len(layout.episodes_files(root)),
            meta_bytes(root),
        )
        reopen = []
        for _ in range(3):
            t0 = time.perf_counter()
            DatasetWriter.open(root, SPEC, resume=True, video=VIDEO, compact_every=0).close()
            reopen.append(time.perf_counter() - t0)
        with DatasetWriter.open(root, SPEC, resume=True, video=VIDEO, compact_every=0) as w:
            commits = [record(w, n + k) for k in range(samples)]
        compacted: dict = {}
        if real:
            t0 = time.perf_counter()
            compact_dataset(root)
            compacted = {
                "compact_s": time.perf_counter() - t0,
                "files_compacted_at_n_plus_samples": file_count(root, True),
            }
        return {
            **compacted,
            **extra,
            "episodes": n,
            "mode": mode,
            "commit_median_ms": statistics.median(commits) * 1000,
            "commit_p90_ms": float(np.percentile(commits, 90)) * 1000,
            "reopen_s": statistics.median(reopen),
            "files": files,
            "meta_files": meta_files,
            "meta_bytes": meta,
            "fill_s": fill_s,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(layout.private_dir(root), ignore_errors=True)


def blocks_of(latencies: list[float], block: int) -> list[dict]:
    """p50 / p99 / max (ms) of every block of `block` consecutive commits: every commit is
    measured, so a sawtooth cannot hide between samples."""
    out = []
    for start in range(0, len(latencies), block):
        part = np.asarray(latencies[start : start + block]) * 1000
        out.append(
            {
                "from": start,
                "to": start + len(part),
                "p50_ms": float(np.median(part)),
                "p99_ms": float(np.percentile(part, 99)),
                "max_ms": float(part.max()),
            }
        )
    return out


def bench_every_commit(n: int, block: int) -> dict:
    """`n` episodes into one dataset as a session records them (background compaction every
    DEFAULT_COMPACT_EVERY commits), every commit timed; then packed as a session leaves it."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-commits-"))
    root = tmp / "bench" / "scale"
    try:
        with DatasetWriter.open(root, SPEC, video=VIDEO) as w:
            commits = [record(w, k) for k in range(n)]
            t0 = time.perf_counter()
            w.pack()
            pack_s = time.perf_counter() - t0
        blocks = blocks_of(commits, block)
        files = file_count(root, True)
        arr = np.asarray(commits) * 1000
        return {
            "episodes": n,
            "mode": "every commit",
            "blocks": blocks,
            "commit_median_ms": float(np.median(arr)),
            "commit_p90_ms": float(np.percentile(arr, 90)),
            "commit_p99_ms": float(np.percentile(arr, 99)),
            "commit_max_ms": float(arr.max()),
            "worst_block_p50_vs_first": max(b["p50_ms"] for b in blocks) / blocks[0]["p50_ms"],
            "pack_at_rest_s": pack_s,
            "files_at_rest": files,
            "files_per_episode_at_rest": files / n,
            "meta_files_at_rest": len(layout.episodes_files(root)),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(layout.private_dir(root), ignore_errors=True)


LEROBOT_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time, tempfile, shutil, statistics, logging
    import numpy as np
    logging.disable(logging.WARNING)
    sys.path.insert(0, sys.argv[1])
    from leisaac_core.dataset.synthetic import synthetic_frame
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    n, samples = int(sys.argv[2]), int(sys.argv[3])
    FPS, H, W, FRAMES = 30, 48, 64, 10
    names = [f"j{i}.pos" for i in range(6)]
    feats = {"observation.state": {"dtype": "float32", "shape": (6,), "names": names},
             "action": {"dtype": "float32", "shape": (6,), "names": names}}
    for c in ("front", "wrist"):
        feats[f"observation.images.{c}"] = {"dtype": "video", "shape": (H, W, 3),
                                           "names": ["height", "width", "channels"]}
    pool = [{f"observation.images.{c}": synthetic_frame(i, H, W, k)
             for k, c in enumerate(("front", "wrist"))} for i in range(FRAMES)]
    tmp = tempfile.mkdtemp()
    root = tmp + "/ds"
    ds = LeRobotDataset.create("bench/lr", fps=FPS, root=root, robot_type="so101",
                               features=feats, use_videos=True, vcodec="h264")
    saves = []
    for k in range(n + samples):
        for i in range(FRAMES):
            s = np.full(6, k + i, np.float32)
            ds.add_frame({"observation.state": s, "action": s, "task": f"task {k % 3}", **pool[i]})
        t0 = time.perf_counter()
        ds.save_episode()
        saves.append(time.perf_counter() - t0)
    ds.finalize()
    t0 = time.perf_counter()
    LeRobotDataset("bench/lr", root=root)
    reopen = time.perf_counter() - t0
    files = sum(len([f for f in fs if not f.endswith(".png")]) for _, _, fs in os.walk(root))
    meta = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root + "/meta")
               for f in fs)
    shutil.rmtree(tmp, ignore_errors=True)
    every = [round(x * 1000, 3) for x in saves]
    print(json.dumps({"episodes": n, "mode": "lerobot 0.4.4 writer", "every_ms": every,
                      "commit_median_ms": statistics.median(saves[n:]) * 1000,
                      "commit_p90_ms": float(np.percentile(saves[n:], 90)) * 1000,
                      "reopen_s": reopen, "files": files, "meta_bytes": meta}))
    """
)


def bench_lerobot(n: int, samples: int) -> dict:
    python = READER_VENV / "bin" / "python"
    if not python.exists():
        return {"episodes": n, "error": "lerobot reader venv missing"}
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [
            str(python),
            "-c",
            LEROBOT_SCRIPT,
            str(Path(__file__).resolve().parents[1]),
            str(n),
            str(samples),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        env=env,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"episodes": n, "error": proc.stderr[-800:]}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000, 100000])
    ap.add_argument("--real-up-to", type=int, default=1000)
    ap.add_argument(
        "--merged-up-to",
        type=int,
        default=10000,
        help="sizes above --real-up-to and up to this: merged copies of a real dataset",
    )
    ap.add_argument("--merge-unit", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--lerobot-sizes", type=int, nargs="*", default=[10, 1000])
    ap.add_argument("--no-lerobot", action="store_true")
    ap.add_argument(
        "--every-commit",
        type=int,
        default=0,
        metavar="N",
        help="instead: record N episodes, time every commit, report per block of --block",
    )
    ap.add_argument("--block", type=int, default=100)
    ap.add_argument(
        "--lerobot-episodes",
        type=int,
        default=0,
        metavar="N",
        help="with --every-commit: lerobot's writer records this many (default: the same N)",
    )
    args = ap.parse_args()
    if args.every_commit:
        every_commit_main(args)
        return
    rows = []
    for n in args.sizes:
        mode = (
            "real"
            if n <= args.real_up_to
            else "merged"
            if n <= args.merged_up_to
            else "metadata-only"
        )
        rows.append({"writer": "ours", **bench_ours(n, mode, args.samples, args.merge_unit)})
        print(json.dumps(rows[-1]), flush=True)
    if not args.no_lerobot:
        for n in args.lerobot_sizes:
            rows.append({"writer": "lerobot", **bench_lerobot(n, args.samples)})
            print(json.dumps(rows[-1]), flush=True)
    ours = {r["episodes"]: r for r in rows if r["writer"] == "ours"}
    smallest = ours[min(ours)]["commit_median_ms"] if ours else None
    ratios = {
        f"commit median at {n} vs at {min(ours)}": r["commit_median_ms"] / smallest
        for n, r in ours.items()
    }
    result = {
        "machine": {"cpus": os.cpu_count()},
        "episode": {"cameras": len(CAMS), "height": H, "width": W, "frames": FRAMES, "fps": FPS},
        "episodes_per_meta_file": layout.EPISODES_PER_META_FILE,
        "rows": rows,
        "ratios": ratios,
        "targets": {"commit_ratio_10k_vs_10": 1.2, "commit_ms": 100.0, "reopen_100k_s": 1.0},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    head = f"{'writer':8s} {'episodes':>9s} {'mode':>22s} {'commit p50 ms':>14s} "
    head += f"{'p90 ms':>8s} {'reopen s':>9s} {'files':>8s} {'compacted':>10s} {'meta KiB':>9s}"
    print(head)
    for r in rows:
        if "error" in r:
            print(f"{r['writer']:8s} {r['episodes']:>9d}  error: {r['error'][:300]}")
            continue
        print(
            f"{r['writer']:8s} {r['episodes']:>9d} {r['mode']:>22s} {r['commit_median_ms']:>14.1f} "
            f"{r['commit_p90_ms']:>8.1f} {r['reopen_s']:>9.3f} {r['files']:>8d} "
            f"{r.get('files_compacted_at_n_plus_samples', '-'):>10} {r['meta_bytes'] / 1024:>9.0f}"
        )
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x")
    print(f"saved {RESULTS}")


def every_commit_main(args: argparse.Namespace) -> None:
    n, block = args.every_commit, args.block
    ours = bench_every_commit(n, block)
    rows = [{"writer": "ours", **ours}]
    if not args.no_lerobot:
        lr = bench_lerobot(0, args.lerobot_episodes or n)  # every save timed (samples = n)
        if "every_ms" in lr:
            every = np.asarray(lr.pop("every_ms")) / 1000
            lr["blocks"] = blocks_of(list(every), block)
            lr["commit_p99_ms"] = float(np.percentile(every, 99)) * 1000
            lr["commit_max_ms"] = float(every.max()) * 1000
            lr["worst_block_p50_vs_first"] = (
                max(b["p50_ms"] for b in lr["blocks"]) / lr["blocks"][0]["p50_ms"]
            )
        rows.append({"writer": "lerobot", **lr})
    out = RESULTS.with_name("dataset_commits.json")
    result = {
        "machine": {"cpus": os.cpu_count(), "cpu": cpu_model()},
        "episode": {"cameras": len(CAMS), "height": H, "width": W, "frames": FRAMES, "fps": FPS},
        "episodes_per_meta_file": layout.EPISODES_PER_META_FILE,
        "rows": rows,
        "targets": {"worst_block_p50_vs_first": 1.3, "commit_p99_ms": 100.0},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    by_writer = {r["writer"]: r for r in rows if "blocks" in r}
    print(f"{'commits':>13s} " + " ".join(f"{w + ' p50/p99/max ms':>30s}" for w in by_writer))
    for i, b in enumerate(ours["blocks"]):
        cells = []
        for r in by_writer.values():
            if i < len(r["blocks"]):
                x = r["blocks"][i]
                cells.append(f"{x['p50_ms']:>10.1f}{x['p99_ms']:>10.1f}{x['max_ms']:>10.1f}")
        print(f"{b['from']:>6d}-{b['to']:<6d} " + " ".join(cells))
    for w, r in by_writer.items():
        print(
            f"{w}: worst block p50 / first {r['worst_block_p50_vs_first']:.2f}x, "
            f"p99 {r['commit_p99_ms']:.1f} ms, max {r['commit_max_ms']:.1f} ms"
        )
    lr = by_writer.get("lerobot")
    if lr:
        print(
            f"ours / lerobot commit p50: {ours['commit_median_ms'] / lr['commit_median_ms']:.2f}x"
        )
    print(
        f"at rest: {ours['files_at_rest']} files for {n} episodes "
        f"({ours['files_per_episode_at_rest']:.3f} per episode), packed in "
        f"{ours['pack_at_rest_s']:.2f} s"
    )
    print(f"saved {out}")


if __name__ == "__main__":
    main()
