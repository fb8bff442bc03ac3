"""Memory over a long served session (issue 29): does the server grow with every episode?

A real server (uvicorn on loopback, in a child process) records a scripted session started
over REST, with two websocket clients connected the whole time (they read every status,
event and preview frame). At every episode saved the server samples itself: RSS (of the
server and, with --hosted, of its env host process), the Python heap (sys.getallocatedblocks:
CPython's own count of allocated blocks, and the number of objects the garbage collector
tracks) and pyarrow's allocated bytes. The slopes per 1,000 episodes after episode
--skip (least squares over every sample, not two end points) go in
bench/results/soak_<size>_<paced|unpaced>[_hosted].json and a printed table.

    .venv/bin/python bench/soak.py --episodes 2000 --size 320x240
    .venv/bin/python bench/soak.py --minutes 60 --size 640x480 --paced
    .venv/bin/python bench/soak.py --episodes 500 --hosted      # the env in an env host process

Run it under `flock /tmp/leisaac-bench.lock` and note `uptime`'s load. A fleet head variant is
not here: the fleet bench (bench/fleet.py) has no long-running mode yet.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402

TASK = "so101_lift_cube"
SEED = 1000
BOUND_MB_PER_1000 = 20.0  # the bound on RSS growth after episode 200


# ---------------------------------------------------------------- the server (child process)
def serve(port: int, root: Path, samples: Path) -> None:
    import pyarrow as pa
    import uvicorn

    from leisaac_core.config import Settings
    from server.app import create_app

    app = create_app(Settings(dataset_root=root, port=port))
    engine = app.state.engine
    me = psutil.Process()
    out = open(samples, "a", buffering=1)  # noqa: SIM115 - open for the server's life

    def sample(event: Any) -> None:
        if event.kind != "episode_saved":
            return
        hosts = [p for p in me.children(recursive=True) if "python" in p.name().lower()]
        host_rss = sum(_rss(p) for p in hosts)
        row = {
            "episode": event.data.get("episode_number"),
            "time": time.time(),
            "rss": me.memory_info().rss,
            "host_rss": host_rss,
            "blocks": sys.getallocatedblocks(),
            "gc_objects": len(gc.get_objects()),
            "threads": threading.active_count(),
            "arrow_bytes": pa.total_allocated_bytes(),
        }
        out.write(json.dumps(row) + "\n")

    engine.add_listener(sample)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


# ---------------------------------------------------------------- the driver (this process)
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch(url: str, stop: threading.Event, counts: dict[str, int], name: str) -> None:
    """A page's websocket: reads everything it is sent until told to stop."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(url, max_size=None) as ws:
        while not stop.is_set():
            try:
                ws.recv(timeout=1)
            except TimeoutError:
                continue
            except ConnectionClosed:  # the server stops at the end of the run
                return
            counts[name] = counts.get(name, 0) + 1


def slope_per_1000(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ys over xs, times 1,000."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def read_samples(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def session_body(args: argparse.Namespace, width: int, height: int) -> dict[str, Any]:
    return {
        "mode": "record",
        "episodes": args.episodes or 100_000,
        "env": {
            "task": TASK,
            "camera_width": width,
            "camera_height": height,
            "hosted": args.hosted,
        },
        "devices": [{"type": "scripted"}],
        "dataset": {"repo_id": "soak/run"},
        "episode": {"seed": SEED, "realtime": args.paced, "reset_time_s": 0},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    width, height = (int(v) for v in args.size.split("x"))
    commit = _commit()  # the code that runs, not what is checked out when it ends
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="leisaac-soak-"))
    samples = work / "samples.jsonl"
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(work / "datasets"), str(samples)],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    counts: dict[str, int] = {}
    started = time.time()
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if http.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the soak server did not start")
                time.sleep(0.5)
            clients = [
                threading.Thread(
                    target=watch,
                    args=(f"ws://127.0.0.1:{port}/ws", stop, counts, f"ws{i}"),
                    daemon=True,
                )
                for i in (1, 2)
            ]
            for c in clients:
                c.start()
            response = http.post("/api/session", json=session_body(args, width, height))
            if response.status_code != 201:
                raise RuntimeError(f"session refused: {response.status_code} {response.text}")
            started = time.time()
            end = started + args.minutes * 60 if args.minutes else None
            last_print = 0.0
            while True:
                time.sleep(2)
                rows = read_samples(samples)
                phase = http.get("/api/session").json()["phase"]
                if time.monotonic() - last_print > 30 and rows:
                    last_print = time.monotonic()
                    r = rows[-1]
                    print(
                        f"  episode {len(rows):5d}  {time.time() - started:6.0f} s  "
                        f"RSS {r['rss'] / 1e6:7.1f} MB  blocks {r['blocks']}",
                        flush=True,
                    )
                if args.episodes and len(rows) >= args.episodes:
                    break
                if end is not None and time.time() >= end:
                    break
                if phase == "idle":
                    break
            http.post("/api/session/stop")
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
    rows = read_samples(samples)
    shutil.rmtree(work, ignore_errors=True)  # the recorded dataset is not the result
    return {**summarize(args, rows, time.time() - started, counts), "commit": commit}


def summarize(
    args: argparse.Namespace, rows: list[dict[str, Any]], seconds: float, counts: dict[str, int]
) -> dict[str, Any]:
    after = [(i + 1, r) for i, r in enumerate(rows) if i + 1 > args.skip]
    xs = [float(i) for i, _ in after]

    def slope(key: str, scale: float = 1.0) -> float | None:
        s = slope_per_1000(xs, [r[key] / scale for _, r in after])
        return None if s is None else round(s, 3)

    rss_slope = slope("rss", 1e6)
    return {
        "bench": "soak",
        "size": args.size,
        "paced": args.paced,
        "hosted": args.hosted,
        "episodes_saved": len(rows),
        "seconds": round(seconds, 1),
        "skip": args.skip,
        "slopes_per_1000_episodes": {
            "rss_mb": rss_slope,
            "host_rss_mb": slope("host_rss", 1e6) if args.hosted else None,
            "python_blocks": slope("blocks"),
            "gc_objects": slope("gc_objects"),
            "arrow_bytes": slope("arrow_bytes"),
            "threads": slope("threads"),
        },
        "bound_rss_mb_per_1000": BOUND_MB_PER_1000,
        "within_bound": None if rss_slope is None else rss_slope <= BOUND_MB_PER_1000,
        "first": rows[0] if rows else None,
        "last": rows[-1] if rows else None,
        "ws_messages": counts,
        "samples": rows,
        "load": os.getloadavg(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""


def print_table(result: dict[str, Any]) -> None:
    s = result["slopes_per_1000_episodes"]
    first, last = result["first"] or {}, result["last"] or {}
    print(
        f"\nsoak {result['size']} {'paced' if result['paced'] else 'unpaced'}"
        f"{' hosted' if result['hosted'] else ''}: {result['episodes_saved']} episodes in "
        f"{result['seconds']:.0f} s, load {result['load'][0]:.1f}, {result['cpu']}"
    )
    print(f"{'measure':24s}{'first':>14s}{'last':>14s}{'slope/1000 ep':>16s}")
    for label, key, scale, skey in (
        ("server RSS (MB)", "rss", 1e6, "rss_mb"),
        ("env host RSS (MB)", "host_rss", 1e6, "host_rss_mb"),
        ("Python blocks", "blocks", 1, "python_blocks"),
        ("gc objects", "gc_objects", 1, "gc_objects"),
        ("pyarrow bytes", "arrow_bytes", 1, "arrow_bytes"),
        ("threads", "threads", 1, "threads"),
    ):
        if skey == "host_rss_mb" and not result["hosted"]:
            continue
        a, b = first.get(key, 0) / scale, last.get(key, 0) / scale
        value = s[skey]
        print(f"{label:24s}{a:14.1f}{b:14.1f}{'-' if value is None else f'{value:.1f}':>16s}")
    print(
        f"RSS bound {result['bound_rss_mb_per_1000']} MB / 1000 episodes after episode "
        f"{result['skip']}: {'met' if result['within_bound'] else 'NOT met'}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=0, help="stop after this many saved")
    parser.add_argument("--minutes", type=float, default=0, help="stop after this long")
    parser.add_argument("--size", default="320x240", choices=["320x240", "640x480"])
    parser.add_argument("--paced", action="store_true", help="real time (30 fps), not unpaced")
    parser.add_argument("--hosted", action="store_true", help="the env in an env host process")
    parser.add_argument("--skip", type=int, default=200, help="episodes left out of the slope")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default: results/)")
    args = parser.parse_args()
    if not args.episodes and not args.minutes:
        parser.error("give --episodes or --minutes")
    result = run(args)
    name = f"soak_{args.size}_{'paced' if args.paced else 'unpaced'}"
    out = args.out or ROOT / "bench" / "results" / f"{name}{'_hosted' if args.hosted else ''}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print_table(result)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
