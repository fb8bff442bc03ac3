"""Loop period with everything off vs everything on.

Anchor ("off"): the bare control loop, the same env and scripted device paced at the dataset
fps in one thread, no recorder, no server, no preview. Ours ("on"): a real uvicorn server with
the session engine recording into a dataset, preview encoding at the configured rate, and 4
websocket clients, one of them deliberately slow (it sleeps between reads). Both run the same
task, seeds and camera size on the same machine in the same run; the table reports ratios.

Measured: loop period p50/p99 (the anchor from every tick's timestamp; ours as the session
itself measures every tick and reports per episode), frames dropped by the encoders (saved
episodes' metadata), preview latency from frame publication to client receipt (p50/p95).
Writes bench/results/loop.json (loop_keyboard.json with --device keyboard; with another
--task, loop_<task>_<size>.json) and prints a table.

    .venv/bin/python bench/loop.py [--camera-size 640x480] [--seconds 20] [--episodes 2]
        [--task bi_so101_clean_toy_table]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.sim import make_env_config, make_env_from_config  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from leisaac_core.teleop import make_device_config, make_device_from_config  # noqa: E402

TASK = "so101_pick_orange"


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values) * 1e3
    return {
        "p50_ms": float(np.percentile(arr, 50)),
        "p95_ms": float(np.percentile(arr, 95)),
        "p99_ms": float(np.percentile(arr, 99)),
        "n": int(arr.size),
    }


def bare_loop(
    seconds: float, fps: int, width: int, height: int, seed: int, task: str = TASK
) -> dict:
    """The anchor: pace + device.read + env.step, nothing else."""
    result: dict = {}

    def run() -> None:
        env = make_env_from_config(
            make_env_config("mujoco", task=task, fps=fps, camera_width=width, camera_height=height)
        )
        device = make_device_from_config(make_device_config("scripted"))
        device.connect(env)
        step = env.reset(seed=seed)
        device.reset(seed)
        period = 1.0 / fps
        stamps = []
        deadline = time.perf_counter()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            now = time.perf_counter()
            if deadline > now:
                time.sleep(deadline - now)
            deadline = max(deadline + period, time.perf_counter())
            stamps.append(time.perf_counter())
            step = env.step(device.read(step))
        env.close()
        result["periods"] = np.diff(stamps).tolist()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return percentiles(result["periods"])


def full_stack(
    episodes: int,
    fps: int,
    width: int,
    height: int,
    seed: int,
    device: str = "scripted",
    task: str = TASK,
) -> dict:
    """The product: server + session recording + preview + 4 websocket clients (one slow).

    With `device="keyboard"` nobody presses a key: a paced keyboard session whose episodes
    end by their time limit (10 s), as an operator's would when the loop is all that runs."""
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    from server.preview import unpack_frame
    from tests.support.live_server import make_settings, start_server

    with TemporaryDirectory() as tmp:
        server = start_server(make_settings(Path(tmp)))
        latencies: list[float] = []
        timings: list[dict] = []
        dropped: list[int] = []
        done = threading.Event()

        def client(index: int) -> None:
            with contextlib.suppress(WebSocketException):  # the server goes away at the end
                listen(index)

        def listen(index: int) -> None:
            slow = index == 3
            with connect(server.ws_url, max_size=None) as ws:
                while not done.is_set():
                    try:
                        message = ws.recv(timeout=0.5)
                    except TimeoutError:
                        continue
                    received = time.time()
                    if isinstance(message, bytes):
                        if not slow:
                            latencies.append(received - unpack_frame(message)[1])
                    elif index == 0:
                        data = json.loads(message)
                        if data.get("type") == "event":
                            if data["kind"] in ("episode_succeeded", "episode_timeout"):
                                timings.append(data["data"]["timing"])
                            elif data["kind"] == "episode_saved":
                                dropped.append(
                                    sum(data["data"]["saved"]["frames_dropped"].values())
                                )
                            elif data["kind"] in ("session_finished", "session_stopped"):
                                done.set()
                    if slow:
                        time.sleep(0.5)  # a client on a bad link: it may only miss frames

        clients = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(4)]
        for c in clients:
            c.start()
        time.sleep(0.5)
        with server.client() as http:
            http.post(
                "/api/session",
                json={
                    "episodes": episodes,
                    "env": {
                        "task": task,
                        "fps": fps,
                        "camera_width": width,
                        "camera_height": height,
                    },
                    "devices": [{"type": device}],
                    "dataset": {"repo_id": "bench/loop"},
                    "episode": {
                        "seed": seed,
                        "realtime": True,
                        **({"time_s": 10, "reset_time_s": 0} if device == "keyboard" else {}),
                    },
                },
            ).raise_for_status()
            done.wait(timeout=episodes * 120)
        for c in clients:
            c.join(timeout=5)
        server.stop()
    return {
        "episodes": len(timings),
        # Per-episode figures measured by the session itself (every tick's period).
        "p50_ms": float(np.mean([t["period_p50_ms"] for t in timings])),
        "p99_ms": float(np.max([t["period_p99_ms"] for t in timings])),
        "achieved_fps": float(np.mean([t["achieved_fps"] for t in timings])),
        "overruns": int(sum(t["overruns"] for t in timings)),
        "frames_dropped": int(sum(dropped)),
        "preview_latency": percentiles(latencies) if latencies else {},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camera-size", default="640x480")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the anchor run")
    parser.add_argument("--episodes", type=int, default=2, help="episodes recorded in the 'on' run")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--device", default="scripted", choices=("scripted", "keyboard"), help="for the 'on' run"
    )
    parser.add_argument("--task", default=TASK, help="e.g. bi_so101_clean_toy_table")
    args = parser.parse_args()
    width, height = (int(v) for v in args.camera_size.split("x"))
    off = bare_loop(args.seconds, args.fps, width, height, args.seed, args.task)
    on = full_stack(args.episodes, args.fps, width, height, args.seed, args.device, args.task)
    results = {
        "machine": {
            "cpu": cpu_model(),
            "load_average": __import__("os").getloadavg(),
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "task": args.task,
        "camera_size": args.camera_size,
        "device": args.device,
        "fps": args.fps,
        "seconds": args.seconds,
        "off_bare_loop": off,
        "on_full_stack": on,
        "ratio_p99_on_over_off": on["p99_ms"] / off["p99_ms"],
        "ratio_p50_on_over_off": on["p50_ms"] / off["p50_ms"],
    }
    name = "loop.json" if args.device == "scripted" else f"loop_{args.device}.json"
    if args.task != TASK:  # one file per task, size and device
        device = "" if args.device == "scripted" else f"_{args.device}"
        name = f"loop_{args.task}_{args.camera_size}{device}.json"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(
        f"{args.task}: loop period at {args.fps} fps, {args.camera_size}: anchor {args.seconds:g} s, ours {on['episodes']} episode(s)"
    )
    print(f"{'':28}{'p50 ms':>10}{'p99 ms':>10}{'ticks':>8}")
    print(f"{'off (bare loop, anchor)':28}{off['p50_ms']:10.2f}{off['p99_ms']:10.2f}{off['n']:8d}")
    print(f"{'on (record+preview+4 ws)':28}{on['p50_ms']:10.2f}{on['p99_ms']:10.2f}{'':8}")
    print(
        f"ratio on/off: p50 {results['ratio_p50_on_over_off']:.3f}  p99 {results['ratio_p99_on_over_off']:.3f}  (target p99 <= 1.05)"
    )
    print(f"achieved {on['achieved_fps']:.2f} fps, {on['overruns']} overruns; {cpu_model()}")
    print(f"frames dropped: {on['frames_dropped']}  (target 0)")
    lat = on["preview_latency"]
    if lat:
        print(
            f"preview latency: p50 {lat['p50_ms']:.1f} ms  p95 {lat['p95_ms']:.1f} ms  (target p95 <= 100 ms)"
        )
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
