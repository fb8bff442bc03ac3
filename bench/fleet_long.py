"""A long fleet run with faults: N episodes (default 2,000) through the fleet, one worker killed
(SIGKILL) every K saved episodes, then checks that the dataset holds exactly seeds 0..N-1
(nothing lost, nothing twice) and that memory stays flat.

The head's RSS and the committing worker's RSS are sampled at every commit and written to the
JSON with the kills; the head's growth is the least-squares slope of its RSS over the
episodes after the first 10% (warm-up), in MB per 1,000 episodes (the target: <= 50).

usage: .venv/bin/python bench/fleet_long.py [--episodes 2000] [--workers 2] [--kill-every 300]
           [--camera-size 128x96] [--out bench/results/fleet_long.json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.dataset import load_episodes  # noqa: E402
from leisaac_core.fleet import FleetConfig  # noqa: E402
from leisaac_core.fleet.run import FleetRun  # noqa: E402
from leisaac_core.session import SessionConfig  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fleet_long.json"
TASK = "so101_lift_cube"
GROWTH_LIMIT_MB_PER_1000 = 50.0


def slope_mb_per_1000(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of (episode, bytes) in MB per 1,000 episodes."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    if var == 0:
        return 0.0
    cov = sum((x - mx) * (y - my) for x, y in points)
    return cov / var * 1000 / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=int, default=300, help="saved episodes per kill")
    parser.add_argument("--camera-size", default="128x96")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    n = args.episodes
    width, height = (int(v) for v in args.camera_size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-long-"))
    root = work / "long"
    kills_planned = max(0, (n - 1) // args.kill_every)
    config = FleetConfig(
        session=SessionConfig(
            episodes=n,
            env={"task": TASK, "camera_width": width, "camera_height": height},
            devices=[{"type": "scripted"}],
            dataset={"repo_id": "bench/long", "root": root},
            episode={"seed": 0},
        ),
        workers=args.workers,
        max_restarts=kills_planned + 1,
    )
    saved = [0]
    events: list[str] = []

    def on_event(message: str) -> None:
        if " saved as episode " in message:
            saved[0] += 1
        elif "died" in message or "cannot record" in message:
            events.append(message)

    run = FleetRun(config, work, on_event=on_event)
    kills: list[dict] = []

    def killer() -> None:
        """At every K-th saved episode, SIGKILL the next worker (round robin) seen recording."""
        turn = 0
        while run.status.state in ("idle", "starting", "running"):
            due = (len(kills) + 1) * args.kill_every
            if saved[0] >= due and due < n:
                workers = run.status.workers
                w = workers[turn % len(workers)] if workers else None
                if w is not None and w.state == "recording" and w.pid:
                    try:
                        os.kill(w.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    else:
                        kills.append(
                            {
                                "at_episode": saved[0],
                                "worker": w.name,
                                "pid": w.pid,
                                "seeds_in_flight": [w.seed, *w.waiting],
                            }  # fmt: skip
                        )
                        turn += 1
                        continue
                turn += 1
            time.sleep(0.05)

    load_before = os.getloadavg()
    thread = threading.Thread(target=killer, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    status = run.run()
    wall = time.perf_counter() - t0
    thread.join(timeout=5)
    episodes = load_episodes(root)
    seeds = sorted(e.seed for e in episodes)
    samples = [
        {"episode": c.index, "worker": c.worker, "head_rss": c.head_rss, "worker_rss": c.worker_rss}
        for c in run.commits
        if not c.error
    ]
    warm = [(s["episode"], s["head_rss"]) for s in samples if s["episode"] >= n // 10]
    growth = slope_mb_per_1000(warm)
    worker_growth = {
        name: slope_mb_per_1000(
            [
                (s["episode"], s["worker_rss"])
                for s in samples
                if s["worker"] == name and s["episode"] >= n // 10
            ]
        )
        for name in sorted({s["worker"] for s in samples})
    }  # fmt: skip (a restarted worker's RSS drops back: its slope spans processes)
    result = {
        "task": TASK,
        "camera_size": args.camera_size,
        "episodes": n,
        "workers": args.workers,
        "kill_every": args.kill_every,
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
        "state": status.state,
        "message": status.message,
        "wall_s": wall,
        "episodes_per_hour": n / wall * 3600,
        "kills": kills,
        "restarts": {w.name: w.restarts for w in status.workers},
        "death_events": events,
        "episodes_in_dataset": len(episodes),
        "seeds_exact": seeds == list(range(n)),
        "head_rss_growth_mb_per_1000": growth,
        "head_rss_flat": growth <= GROWTH_LIMIT_MB_PER_1000,
        "worker_rss_growth_mb_per_1000": worker_growth,
        "head_rss_first_mb": samples[0]["head_rss"] / 2**20 if samples else 0,
        "head_rss_last_mb": samples[-1]["head_rss"] / 2**20 if samples else 0,
        "samples": samples,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(
        f"{n} episodes, {args.workers} workers, {len(kills)} kill(s) "
        f"(restarts {result['restarts']}), {wall:.0f} s, {result['episodes_per_hour']:.0f} ep/h; "
        f"load {load_before[0]:.1f} -> {result['load_avg_after'][0]:.1f}, {cpu_model()}"
    )
    print(
        f"state {status.state}; dataset {len(episodes)} episodes, seeds exact: "
        f"{result['seeds_exact']}; head RSS {result['head_rss_first_mb']:.0f} -> "
        f"{result['head_rss_last_mb']:.0f} MB, growth {growth:.1f} MB/1000 episodes "
        f"(limit {GROWTH_LIMIT_MB_PER_1000:.0f}); workers "
        + ", ".join(f"{k} {v:.1f}" for k, v in worker_growth.items())
    )
    print(f"wrote {args.out}")
    ok = status.state == "finished" and result["seeds_exact"] and len(kills) == kills_planned
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
