"""The policy device vs the scripted demonstrator in-process, paced at the dataset fps.

Anchor: the scripted device read in the loop's own thread (what a policy device cannot beat).
Ours: the policy device fed by the scripted expert served over the OpenPI websocket protocol
from another process on loopback (`leisaac-dashboard policy serve --expert scripted`, chunks
of 10, next chunk asked 5 actions ahead). Both loops run the same task, seeds and camera size
on the same machine, one after the other; the table reports ratios.

Measured: loop period p50/p99 (every tick), device.read() time p50/p99 (the policy device
must never wait on the network), policy round trip p50/p99 (request sent -> chunk queued,
from the device's health), starved ticks (the queue ran dry; target 0 at 30 Hz) and the
episodes solved in each run. Writes bench/results/policy.json and prints a table.

    .venv/bin/python bench/policy.py [--camera-size 640x480] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.policy.config import PolicyDeviceConfig  # noqa: E402
from leisaac_core.sim import make_env_config, make_env_from_config  # noqa: E402
from leisaac_core.teleop import make_device_config, make_device_from_config  # noqa: E402

TASK = "so101_lift_cube"


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values) * 1e3
    return {
        "p50_ms": float(np.percentile(arr, 50)),
        "p99_ms": float(np.percentile(arr, 99)),
        "n": int(arr.size),
    }


def paced_loop(device_config, seconds: float, fps: int, width: int, height: int, seed: int):
    """pace + device.read + env.step at `fps`, episodes back to back (reset on success)."""
    result: dict = {}

    def run() -> None:
        env = make_env_from_config(
            make_env_config("mujoco", task=TASK, fps=fps, camera_width=width, camera_height=height)
        )
        device = make_device_from_config(device_config)
        device.connect(env)
        episode_seed = seed
        step = env.reset(seed=episode_seed)
        device.reset(episode_seed)
        limit = int(20 * fps)
        period = 1.0 / fps
        stamps: list[float] = []
        reads: list[float] = []
        solved = ticks_in_episode = 0
        deadline = time.perf_counter()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            now = time.perf_counter()
            if deadline > now:
                time.sleep(deadline - now)
            deadline = max(deadline + period, time.perf_counter())
            stamps.append(time.perf_counter())
            t0 = time.perf_counter()
            action = device.read(step)
            reads.append(time.perf_counter() - t0)
            step = env.step(action)
            ticks_in_episode += 1
            if step.success or ticks_in_episode >= limit:
                solved += bool(step.success)
                episode_seed += 1
                ticks_in_episode = 0
                step = env.reset(seed=episode_seed)
                device.reset(episode_seed)
        health = device.health()
        device.disconnect()
        env.close()
        result.update(
            period=percentiles(np.diff(stamps).tolist()),
            read=percentiles(reads),
            solved=solved,
            episodes=episode_seed - seed,
            details=health.details,
            starved=getattr(device, "starved_total", 0),
        )

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result


def start_expert(port: int, chunk: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "policy", "serve", "--expert", "scripted"]
        + ["--port", str(port), "--chunk-size", str(chunk)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the expert policy server did not start") from None
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camera-size", default="640x480")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=10)
    args = parser.parse_args()
    width, height = (int(v) for v in args.camera_size.split("x"))

    anchor = paced_loop(
        make_device_config("scripted"), args.seconds, args.fps, width, height, args.seed
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_expert(port, args.chunk)
    try:
        policy_config = PolicyDeviceConfig(url=f"ws://127.0.0.1:{port}", takeover=None)
        ours = paced_loop(policy_config, args.seconds, args.fps, width, height, args.seed)
    finally:
        server.terminate()
        server.wait(timeout=30)

    details = ours["details"]
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "task": TASK,
        "camera_size": args.camera_size,
        "fps": args.fps,
        "seconds": args.seconds,
        "chunk": args.chunk,
        "anchor_scripted_in_process": anchor,
        "policy_device_loopback_expert": ours,
        "ratio_p99_policy_over_scripted": ours["period"]["p99_ms"] / anchor["period"]["p99_ms"],
        "ratio_p50_policy_over_scripted": ours["period"]["p50_ms"] / anchor["period"]["p50_ms"],
    }
    out = ROOT / "bench" / "results" / "policy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=float))
    print(
        f"{TASK} at {args.fps} fps, {args.camera_size}, {args.seconds:g} s per run, chunk {args.chunk}"
    )
    print(f"{'':34}{'loop p50':>9}{'loop p99':>9}{'read p50':>9}{'read p99':>9}{'solved':>8}")
    for name, r in (
        ("scripted in-process (anchor)", anchor),
        ("policy device + expert server", ours),
    ):
        print(
            f"{name:34}{r['period']['p50_ms']:9.2f}{r['period']['p99_ms']:9.2f}"
            f"{r['read']['p50_ms']:9.3f}{r['read']['p99_ms']:9.3f}"
            f"{r['solved']:>5}/{r['episodes']:<2}"
        )
    print(
        f"ratio loop p99 policy/scripted: {results['ratio_p99_policy_over_scripted']:.3f} "
        "(target <= 1.05)"
    )
    print(
        f"policy round trip: p50 {details.get('rtt_ms_p50')} ms  p99 {details.get('rtt_ms_p99')} ms"
        f"  ({details.get('requests')} requests in the last window)"
    )
    print(f"starved ticks: {ours['starved']}  (target 0)")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
