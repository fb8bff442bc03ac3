"""The env host's cost: MuJoCo in the session's process (anchor) vs in an env host process.

Both run the same control loop in a worker thread, paced at 30 fps, replaying one fixed
action sequence (a scripted PickOrange demonstration recorded first) with both cameras at
640x480; the loop keeps the last 8 steps' images alive as a recorder queue would. Rounds
alternate in-process and hosted so that load from other jobs hits both alike.

Measured: loop period p50/p99 (every tick's timestamp), CPU per tick of this process and of
the env host process together, and the unpaced wall time per step. Target: hosted p99 <=
1.05x in-process. Writes bench/results/env_host.json and prints a table.

    .venv/bin/python bench/env_host.py [--seconds 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_actions import record_actions  # noqa: E402  (bench/ is on sys.path)

from leisaac_core.sim import make_env_config, make_env_from_config  # noqa: E402

TASK = "so101_pick_orange"
SEED = 0
FPS = 30
WIDTH, HEIGHT = 640, 480
TARGET_P99_RATIO = 1.05


def run_loop(actions: np.ndarray, hosted: bool) -> dict[str, float]:
    result: dict[str, float] = {}

    def run() -> None:
        config = make_env_config(
            "mujoco", task=TASK, fps=FPS, camera_width=WIDTH, camera_height=HEIGHT, hosted=hosted
        )
        env = make_env_from_config(config)
        host = psutil.Process(env.host_pid) if hosted else None  # type: ignore[attr-defined]
        kept: collections.deque = collections.deque(maxlen=8)
        env.reset(seed=SEED)
        for action in actions[:10]:  # warm up renderer and caches
            kept.append(env.step(action).images)
        env.reset(seed=SEED)
        # Unpaced: the step's own cost.
        wall0 = time.perf_counter()
        for action in actions[:60]:
            kept.append(env.step(action).images)
        step_ms = (time.perf_counter() - wall0) / 60 * 1e3
        env.reset(seed=SEED)
        period = 1.0 / FPS
        stamps = []
        cpu0 = time.process_time() + (sum(host.cpu_times()[:2]) if host else 0.0)
        deadline = time.perf_counter()
        for action in actions:
            now = time.perf_counter()
            if deadline > now:
                time.sleep(deadline - now)
            deadline = max(deadline + period, time.perf_counter())
            stamps.append(time.perf_counter())
            kept.append(env.step(action).images)
        cpu = time.process_time() + (sum(host.cpu_times()[:2]) if host else 0.0) - cpu0
        env.close()
        periods = np.diff(stamps) * 1e3
        result.update(
            p50_ms=float(np.percentile(periods, 50)),
            p99_ms=float(np.percentile(periods, 99)),
            max_ms=float(periods.max()),
            cpu_ms_per_tick=cpu / len(actions) * 1e3,
            unpaced_step_ms=step_ms,
            ticks=len(actions),
        )

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    actions = record_actions(int(args.seconds * FPS), TASK, SEED)
    runs: dict[str, list[dict[str, float]]] = {"in-process (anchor)": [], "env host process": []}
    for _ in range(args.rounds):
        runs["in-process (anchor)"].append(run_loop(actions, hosted=False))
        runs["env host process"].append(run_loop(actions, hosted=True))
    rows = {
        name: {key: float(np.median([r[key] for r in rs])) for key in rs[0]}
        for name, rs in runs.items()
    }
    anchor, hosted = rows["in-process (anchor)"], rows["env host process"]
    ratio = hosted["p99_ms"] / anchor["p99_ms"]
    load = os.getloadavg()
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "mujoco_gl": os.environ.get("MUJOCO_GL", ""),
            "loadavg_1_5_15": load,
        },
        "task": TASK,
        "fps": FPS,
        "camera": f"front+wrist {WIDTH}x{HEIGHT}",
        "rounds": args.rounds,
        "rows": rows,
        "runs": runs,
        "hosted_p99_ratio": ratio,
        "target_p99_ratio": TARGET_P99_RATIO,
    }
    out = ROOT / "bench" / "results" / "env_host.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(
        f"{TASK}, {FPS} fps, both cameras {WIDTH}x{HEIGHT}, {len(actions)} ticks x {args.rounds} "
        f"rounds (medians), load average {load[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':22}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'CPU ms/tick':>13}{'step ms':>9}")
    for name, row in rows.items():
        print(
            f"{name:22}{row['p50_ms']:9.2f}{row['p99_ms']:9.2f}{row['max_ms']:9.2f}"
            f"{row['cpu_ms_per_tick']:13.2f}{row['unpaced_step_ms']:9.2f}"
        )
    verdict = "meets" if ratio <= TARGET_P99_RATIO else "MISSES"
    print(f"hosted p99 = {ratio:.3f}x in-process: {verdict} the {TARGET_P99_RATIO}x target")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
