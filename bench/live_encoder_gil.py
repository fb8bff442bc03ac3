"""Does the live video's encoder cost the loop through the GIL, or only through the CPU?

Issue 25's open figure: the loop's p99 with two WebRTC viewers is 1.5-1.9x of none on this
box (bench/live_view.py). That bench has a server, two Chromium pages and the encoder all
on two cores, so it cannot tell what the loop waits for. This one takes the server and the
browsers away and keeps the two suspects:

- the loop: MuJoCo so101_pick_orange, both cameras rendered at 640x480, the scripted
  demonstrator, paced at 30 Hz on the main thread (as the session's worker thread is);
- the live encoder's per-frame work, exactly as server/live_encoder.py does it (poll the
  newest frame at twice the fps, copy, stamp, convert to yuv420p, VP8 realtime encode, and
  aiortc's VP8 payloader once per viewer, two viewers), at the encoder's nice 10.

Conditions, alternated round by round:
- none: the loop alone (the anchor);
- thread: the encoder on a thread of this process at nice 10 (today's design: it shares
  the GIL);
- thread-idle: the same thread in SCHED_IDLE (it runs only on a core no normal thread
  wants); it still shares the GIL, so on a saturated box it can be preempted holding it
  (a priority inversion this unsaturated bench cannot show);
- process, process-idle: the same work in a child process (its own GIL) at nice 10 or in
  SCHED_IDLE; this process only copies each new frame into shared memory (one memcpy on a
  feeder thread at nice 10);
- spin-idle: no encoder; a child process burning a core in SCHED_IDLE: what any work that
  keeps to the idle class costs the loop (the floor bench/live_view.py's browsers are held
  to by an idle cgroup).

If `process` is much closer to `none` than `thread` is, the GIL is what costs the loop; if
the two are alike, the cost is CPU time, and what helps is a lower scheduling class.
Every tick of every round is measured. Writes bench/results/live_encoder_gil.json and prints
a table.

    flock /tmp/leisaac-bench.lock .venv/bin/python bench/live_encoder_gil.py [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import threading
import time
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np
from aiortc.codecs.vpx import Vp8Encoder
from av import VideoFrame

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.sim import make_env_config, make_env_from_config  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from leisaac_core.teleop import make_device_config, make_device_from_config  # noqa: E402
from server.frame_stamp import stamp  # noqa: E402
from server.live_encoder import (  # noqa: E402
    CLOCK_RATE,
    TIME_BASE,
    lower_this_threads_priority,
    open_codec,
)

FPS = 30.0
WIDTH, HEIGHT = 640, 480
CAMERA = "front"
VIEWERS = 2
HEADER = 16  # shared memory: [sequence number (odd while written), frame tick]


class FrameEncoder:
    """The live encoder's per-frame work (server/live_encoder.py), minus the event loop."""

    def __init__(self) -> None:
        self.context = None
        self.payloaders = [Vp8Encoder() for _ in range(VIEWERS)]
        self.frames = 0
        self.started = time.monotonic()

    def encode(self, image: np.ndarray, tick: int) -> None:
        image = np.array(image, dtype=np.uint8, copy=True)
        stamp(image, tick & 0xFFFF, int(time.monotonic() * 1000) & 0xFFFF)
        if self.context is None:
            self.context = open_codec("VP8", image.shape[1], image.shape[0], FPS)
        frame = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = self.frames * round(CLOCK_RATE / FPS)
        frame.time_base = TIME_BASE
        for packet in self.context.encode(frame):
            packet.time_base = TIME_BASE
            for payloader in self.payloaders:
                payloader.pack(packet)
        self.frames += 1


def poll_period() -> float:
    return 1.0 / (FPS * 2)  # POLLS_PER_FRAME in live_encoder


def encoder_thread(latest: list, stop: threading.Event, counts: dict, idle: bool) -> None:
    if idle:  # SCHED_IDLE: runs only on a core nothing else of normal policy wants
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
    else:
        lower_this_threads_priority()
    encoder, last = FrameEncoder(), -1
    while not stop.wait(poll_period()):
        tick, image = latest[0]
        if tick != last:
            encoder.encode(image, tick)
            last = tick
    counts["frames"] = encoder.frames


def feeder_thread(latest: list, stop: threading.Event, shm: shared_memory.SharedMemory) -> None:
    """The server's side of the `process` design: one copy of each new frame."""
    lower_this_threads_priority()
    header = np.ndarray((2,), dtype=np.int64, buffer=shm.buf[:HEADER])
    pixels = np.ndarray((HEIGHT, WIDTH, 3), dtype=np.uint8, buffer=shm.buf[HEADER:])
    last = -1
    while not stop.wait(poll_period()):
        tick, image = latest[0]
        if tick != last:
            header[0] += 1  # odd: being written
            np.copyto(pixels, image)
            header[1] = tick
            header[0] += 1
            last = tick


def encoder_process(
    name: str, stop: mp.synchronize.Event, frames: mp.sharedctypes.Synchronized, idle: bool
) -> None:
    sys.path.insert(0, str(ROOT))
    if idle:  # a process of its own: its GIL is no one else's, so idle cannot invert
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    else:
        os.nice(10)  # the encoder's nice (ENCODER_NICE), as the thread has it
    shm = shared_memory.SharedMemory(name=name)
    header = np.ndarray((2,), dtype=np.int64, buffer=shm.buf[:HEADER])
    pixels = np.ndarray((HEIGHT, WIDTH, 3), dtype=np.uint8, buffer=shm.buf[HEADER:])
    encoder, last = FrameEncoder(), -1
    while not stop.wait(poll_period()):
        seq = int(header[0])
        if seq % 2 or int(header[1]) == last:
            continue
        image, tick = pixels.copy(), int(header[1])
        if int(header[0]) != seq:
            continue  # overwritten while copied: take the next one
        encoder.encode(image, tick)
        last = tick
    frames.value = encoder.frames
    del header, pixels
    shm.close()


def spin_process(stop: mp.synchronize.Event) -> None:
    """Burns a core in SCHED_IDLE: the least any work beside the loop can cost it."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    while not stop.is_set():
        for _ in range(100_000):
            pass


def run_round(env, device, seed: int, seconds: float, latest: list) -> list[float]:
    """The loop alone on this thread, paced at FPS: every tick's period in ms."""
    step = env.reset(seed=seed)
    device.reset(seed)
    periods, period = [], 1.0 / FPS
    next_at = last = time.perf_counter()
    for tick in range(round(seconds * FPS)):
        action = device.read(step)
        step = env.step(action)
        latest[0] = (tick, step.images[CAMERA])
        next_at += period
        now = time.perf_counter()
        if next_at > now:
            time.sleep(next_at - now)
        else:
            next_at = now  # behind: as the session's clock, no catch-up burst
        now = time.perf_counter()
        periods.append((now - last) * 1000)
        last = now
    return periods


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds per condition")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per round")
    parser.add_argument(
        "--conditions",
        default="none,thread,thread-idle,process,process-idle,spin-idle",
        help="of none, thread (nice 10), thread-idle (SCHED_IDLE), process (nice 10), "
        "process-idle (SCHED_IDLE), spin-idle (no encoder: a busy loop in SCHED_IDLE)",
    )
    args = parser.parse_args()

    env = make_env_from_config(
        make_env_config(
            "mujoco", task="so101_pick_orange", camera_width=WIDTH, camera_height=HEIGHT
        )
    )
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    load_before = os.getloadavg()
    periods: dict[str, list[float]] = {c: [] for c in args.conditions.split(",")}
    p99_each: dict[str, list[float]] = {k: [] for k in periods}
    frames: dict[str, int] = {k: 0 for k in periods}
    latest: list = [(-1, np.zeros((HEIGHT, WIDTH, 3), np.uint8))]
    ctx = mp.get_context("spawn")
    shm = shared_memory.SharedMemory(create=True, size=HEADER + WIDTH * HEIGHT * 3)
    np.ndarray((2,), dtype=np.int64, buffer=shm.buf[:HEADER])[:] = (0, -1)
    try:
        run_round(env, device, 0, 2.0, latest)  # warm the renderer and the demonstrator
        for r in range(args.rounds):
            for condition in periods:
                stop, stop_child = threading.Event(), ctx.Event()
                counts: dict = {}
                child_frames = ctx.Value("q", 0)
                helpers: list = []
                child = None
                if condition.startswith("thread"):
                    idle = condition == "thread-idle"
                    helpers.append(
                        threading.Thread(target=encoder_thread, args=(latest, stop, counts, idle))
                    )
                elif condition.startswith("process"):
                    idle = condition == "process-idle"
                    helpers.append(threading.Thread(target=feeder_thread, args=(latest, stop, shm)))
                    child = ctx.Process(
                        target=encoder_process, args=(shm.name, stop_child, child_frames, idle)
                    )
                    child.start()
                elif condition == "spin-idle":
                    child = ctx.Process(target=spin_process, args=(stop_child,))
                    child.start()
                for helper in helpers:
                    helper.start()
                if condition != "none":
                    time.sleep(3.0)  # imports and the codec's opening, before the round
                ms = run_round(env, device, 10 + r, args.seconds, latest)
                stop.set()
                stop_child.set()
                for helper in helpers:
                    helper.join()
                if child is not None:
                    child.join(30)
                frames[condition] += counts.get("frames", 0) + child_frames.value
                periods[condition] += ms
                p99_each[condition].append(float(np.percentile(ms, 99)))
                print(
                    f"  round {r + 1} {condition:8} p50 {np.percentile(ms, 50):6.2f} ms  "
                    f"p99 {np.percentile(ms, 99):6.2f} ms",
                    flush=True,
                )
    finally:
        device.disconnect()
        env.close()
        shm.close()
        shm.unlink()
    load_after = os.getloadavg()
    report(periods, p99_each, frames, args, load_before, load_after)
    return 0


def report(periods, p99_each, frames, args, load_before, load_after) -> None:
    none_p50 = float(np.percentile(periods["none"], 50))
    none_p99 = float(np.percentile(periods["none"], 99))
    rows = {}
    for condition, ms in periods.items():
        p50, p99 = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
        rows[condition] = {
            "ticks": len(ms),
            "period_p50_ms": p50,
            "period_p99_ms": p99,
            "period_max_ms": float(np.max(ms)),
            "period_p99_ms_each": p99_each[condition],
            "p50_ratio_to_none": p50 / none_p50,
            "p99_ratio_to_none": p99 / none_p99,
            "achieved_fps": 1000.0 * len(ms) / float(np.sum(ms)),
            "frames_encoded": frames[condition],
        }
    result = {
        "camera_size": f"{WIDTH}x{HEIGHT}",
        "fps": FPS,
        "viewers_packetized": VIEWERS,
        "codec": "VP8",
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_before": list(load_before),
        "load_after": list(load_after),
        "python": platform.python_version(),
        "conditions": rows,
    }
    out = ROOT / "bench" / "results" / "live_encoder_gil.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nloop at {FPS:g} Hz, {WIDTH}x{HEIGHT} x2 cameras, VP8 for {VIEWERS} viewers; "
        f"{result['cpu']}, {result['cores']} cores, load {load_before[0]:.1f} -> {load_after[0]:.1f}"
    )
    print(
        f"{'condition':10} {'ticks':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'p99/none':>9} {'fps':>6} {'encoded':>8}"
    )
    for condition, row in rows.items():
        print(
            f"{condition:10} {row['ticks']:6d} {row['period_p50_ms']:8.2f} "
            f"{row['period_p99_ms']:8.2f} {row['period_max_ms']:8.2f} "
            f"{row['p99_ratio_to_none']:8.2f}x {row['achieved_fps']:6.1f} {row['frames_encoded']:8d}"
        )
    print(f"anchor (none): p50 {none_p50:.2f} ms, p99 {none_p99:.2f} ms; written {out}")


if __name__ == "__main__":
    raise SystemExit(main())
