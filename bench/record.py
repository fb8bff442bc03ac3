"""Benchmark the recorder: this writer vs raw PyAV vs lerobot's own writer.

Same synthetic frames everywhere: 2 cameras 480x640, 6-D state and action, 30 fps.
- this writer: a paced 30 fps loop (as the session runs it); add_frame timed per call;
  commit = save_episode() until its future resolves (the loop itself never waits).
- raw PyAV: the same codec settings, encoding the same frames in one thread (CPU anchor).
- lerobot 0.4.4 (test-only venv): default writer and streaming_encoding=True.
Prints a table and writes bench/results/record.json. Targets (issue 3): add-frame p99
<= 1 ms, commit <= 100 ms for any episode length, CPU <= 1.15x raw PyAV.

usage: .venv/bin/python bench/record.py [--lengths 10 60] [--no-lerobot]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leisaac_core.dataset import (  # noqa: E402
    DatasetSpec,
    DatasetWriter,
    EpisodeMeta,
    VideoSettings,
)
from leisaac_core.dataset.synthetic import synthetic_frame  # noqa: E402
from leisaac_core.sim.base import CameraSpec  # noqa: E402
from leisaac_core.so101 import JOINT_FEATURE_NAMES  # noqa: E402

FPS, H, W = 30, 480, 640
CAMS = ("front", "wrist")
RESULTS = Path(__file__).parent / "results" / "record.json"
READER_VENV = Path(
    os.environ.get(
        "LEROBOT_READER_VENV", Path.home() / ".cache/leisaac-dashboard/lerobot-reader-venv"
    )
)


def frames() -> list[dict[str, np.ndarray]]:
    return [{c: synthetic_frame(i, H, W, k) for k, c in enumerate(CAMS)} for i in range(2 * FPS)]


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def bench_writer(seconds: int, video: VideoSettings, pool) -> dict:
    spec = DatasetSpec(
        "bench/record",
        FPS,
        "so101_follower",
        JOINT_FEATURE_NAMES,
        JOINT_FEATURE_NAMES,
        tuple(CameraSpec(c, H, W) for c in CAMS),
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-record-"))
    n = seconds * FPS
    state = np.zeros(6, np.float32)
    add_ms = []
    try:
        with DatasetWriter.open(tmp / "ds", spec, video=video) as w:
            c0 = cpu_s()
            w.start_episode("bench")
            t_next = time.perf_counter()
            for i in range(n):
                t0 = time.perf_counter()
                w.add_frame(state, state, pool[i % len(pool)])
                add_ms.append((time.perf_counter() - t0) * 1000)
                t_next += 1 / FPS
                time.sleep(max(0.0, t_next - time.perf_counter()))
            t0 = time.perf_counter()
            fut = w.save_episode(EpisodeMeta())
            call_ms = (time.perf_counter() - t0) * 1000
            saved = fut.result()
            commit_ms = (time.perf_counter() - t0) * 1000
            cpu = cpu_s() - c0
        size = sum(p.stat().st_size for p in (tmp / "ds").rglob("*") if p.is_file())
        return {
            "add_frame_mean_ms": float(np.mean(add_ms)),
            "add_frame_p99_ms": float(np.percentile(add_ms, 99)),
            "save_call_ms": call_ms,
            "commit_ms": commit_ms,
            "cpu_s_per_recorded_s": cpu / seconds,
            "bytes_per_frame": size / n,
            "dropped": sum(saved.frames_dropped.values()),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_raw_pyav(seconds: int, video: VideoSettings, pool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-pyav-"))
    n = seconds * FPS
    try:
        c0 = cpu_s()
        for cam in CAMS:
            out = av.open(str(tmp / f"{cam}.mp4"), "w")
            opts = {"crf": str(video.crf), "g": str(video.gop), "preset": video.effective_preset}
            if video.encoder_name == "libx264":
                opts["threads"] = str(video.threads)
            s = out.add_stream(video.encoder_name, rate=FPS, options=opts)
            s.width, s.height, s.pix_fmt = W, H, video.pix_fmt
            for i in range(n):
                f = av.VideoFrame.from_ndarray(pool[i % len(pool)][cam], format="rgb24")
                f = f.reformat(format=video.pix_fmt)
                f.pts, f.time_base = i, Fraction(1, FPS)
                for p in s.encode(f):
                    out.mux(p)
            for p in s.encode(None):
                out.mux(p)
            out.close()
        cpu = cpu_s() - c0
        size = sum(p.stat().st_size for p in tmp.iterdir())
        return {"cpu_s_per_recorded_s": cpu / seconds, "bytes_per_frame": size / n}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


LEROBOT_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time, tempfile, shutil, inspect
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from leisaac_core.dataset.synthetic import synthetic_frame
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    seconds, streaming, vcodec = int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
    FPS, H, W = 30, 480, 640
    names = [f"j{i}.pos" for i in range(6)]
    feats = {"observation.state": {"dtype": "float32", "shape": (6,), "names": names},
             "action": {"dtype": "float32", "shape": (6,), "names": names}}
    for c in ("front", "wrist"):
        feats[f"observation.images.{c}"] = {"dtype": "video", "shape": (H, W, 3),
                                           "names": ["height", "width", "channels"]}
    pool = [{f"observation.images.{c}": synthetic_frame(i, H, W, k)
             for k, c in enumerate(("front", "wrist"))} for i in range(60)]
    tmp = tempfile.mkdtemp()
    kw = {"vcodec": vcodec}
    if streaming:
        if "streaming_encoding" not in inspect.signature(LeRobotDataset.create).parameters:
            print(json.dumps({"error": "this lerobot has no streaming_encoding"})); sys.exit()
        kw["streaming_encoding"] = True
    ds = LeRobotDataset.create("bench/lr", fps=FPS, root=tmp + "/ds", robot_type="so101",
                               features=feats, use_videos=True, **kw)
    st = np.zeros(6, np.float32)
    t = os.times(); c0 = t.user + t.system + t.children_user + t.children_system
    add = []
    w0 = time.perf_counter()
    for i in range(seconds * FPS):
        t0 = time.perf_counter()
        ds.add_frame({"observation.state": st, "action": st, "task": "bench", **pool[i % 60]})
        add.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    ds.save_episode()
    save_ms = (time.perf_counter() - t0) * 1000
    ds.finalize()
    total = time.perf_counter() - w0
    t = os.times(); cpu = t.user + t.system + t.children_user + t.children_system - c0
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tmp + "/ds")
               for f in fs if not f.endswith(".png"))
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({"add_frame_mean_ms": float(np.mean(add)),
                      "add_frame_p99_ms": float(np.percentile(add, 99)),
                      "save_call_ms": save_ms, "commit_ms": save_ms,
                      "cpu_s_per_recorded_s": cpu / seconds,
                      "bytes_per_frame": size / (seconds * FPS), "wall_s": total}))
    """
)


def bench_lerobot(seconds: int, streaming: bool, vcodec: str) -> dict:
    python = READER_VENV / "bin" / "python"
    if not python.exists():
        return {"error": "lerobot reader venv missing: run tests/compat/setup_lerobot_reader.sh"}
    proc = subprocess.run(
        [
            str(python),
            "-c",
            LEROBOT_SCRIPT,
            str(Path(__file__).resolve().parents[1]),
            str(seconds),
            "1" if streaming else "0",
            vcodec,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": proc.stderr[-800:]}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[10, 60])
    ap.add_argument("--no-lerobot", action="store_true")
    ap.add_argument("--lerobot-seconds", type=int, default=10)
    args = ap.parse_args()
    video = VideoSettings()
    pool = frames()
    rows: dict[str, dict] = {}
    for s in args.lengths:
        rows[f"this writer {s}s"] = bench_writer(s, video, pool)
        rows[f"raw PyAV {s}s"] = bench_raw_pyav(s, video, pool)
    if not args.no_lerobot:
        s = args.lerobot_seconds
        rows[f"lerobot default (av1) {s}s"] = bench_lerobot(s, False, "libsvtav1")
        rows[f"lerobot streaming h264 {s}s"] = bench_lerobot(s, True, "h264")
        rows[f"lerobot streaming av1 {s}s"] = bench_lerobot(s, True, "libsvtav1")
    ratios = {
        f"cpu vs raw PyAV {s}s": rows[f"this writer {s}s"]["cpu_s_per_recorded_s"]
        / rows[f"raw PyAV {s}s"]["cpu_s_per_recorded_s"]
        for s in args.lengths
    }
    result = {
        "machine": {"cpus": os.cpu_count()},
        "video": {
            "codec": video.codec,
            "preset": video.effective_preset,
            "crf": video.crf,
            "gop": video.gop,
            "threads": video.threads,
        },
        "frames": {"cameras": len(CAMS), "height": H, "width": W, "fps": FPS},
        "rows": rows,
        "ratios": ratios,
        "targets": {"add_frame_p99_ms": 1.0, "commit_ms": 100.0, "cpu_vs_raw_pyav": 1.15},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    cols = [
        "add_frame_mean_ms",
        "add_frame_p99_ms",
        "commit_ms",
        "cpu_s_per_recorded_s",
        "bytes_per_frame",
    ]
    print(f"{'run':32s}" + "".join(f"{c:>22s}" for c in cols))
    for name, row in rows.items():
        if "error" in row:
            print(f"{name:32s}  error: {row['error'][:200]}")
            continue
        cells = "".join(
            f"{row[c]:>22.2f}" if isinstance(row.get(c), float | int) else f"{'-':>22s}"
            for c in cols
        )
        print(f"{name:32s}{cells}")
    for name, r in ratios.items():
        print(f"{name}: {r:.2f}x (target <= 1.15x)")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
