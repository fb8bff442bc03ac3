"""Simulation cost per control tick: physics only (the anchor) vs physics + both cameras.

Replays one fixed action sequence (a scripted PickOrange demonstration recorded first, so
the arm moves through the scene as in real use) through `MujocoEnv.step` at each camera size
and measures ticks per second (wall clock) and process CPU seconds per tick. The physics-only
anchor runs the same substeps on the same model without rendering; the table reports each
row's cost as a ratio to it. Target on the 2-core dev box: >= 30 ticks/s at 640x480 with
both cameras (the dataset fps). Writes bench/results/sim.json and prints a table.

    .venv/bin/python bench/sim.py [--ticks 300] [--sizes 640x480,320x240]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.sim import make_env_config, make_env_from_config  # noqa: E402
from leisaac_core.teleop import make_device_config, make_device_from_config  # noqa: E402

TASK = "so101_pick_orange"
SEED = 0
TARGET_TICKS_PER_S = 30.0


def record_actions(ticks: int) -> np.ndarray:
    env = make_env_from_config(
        make_env_config("mujoco", task=TASK, camera_width=16, camera_height=16)
    )
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    step = env.reset(seed=SEED)
    device.reset(SEED)
    actions = []
    for _ in range(ticks):
        action = device.read(step)
        actions.append(action)
        step = env.step(action)
    env.close()
    return np.array(actions)


def measure_env(actions: np.ndarray, width: int, height: int) -> dict[str, float]:
    env = make_env_from_config(
        make_env_config("mujoco", task=TASK, camera_width=width, camera_height=height)
    )
    env.reset(seed=SEED)  # creates the renderer outside the timed region
    for action in actions[:10]:  # warm caches
        env.step(action)
    env.reset(seed=SEED)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for action in actions:
        env.step(action)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    env.close()
    return {
        "ticks": len(actions),
        "ticks_per_s": len(actions) / wall,
        "cpu_s_per_tick": cpu / len(actions),
        "wall_ms_per_tick": 1e3 * wall / len(actions),
    }


def measure_physics(actions: np.ndarray) -> dict[str, float]:
    """The anchor: the same model and substeps, no rendering, no observation building."""
    import mujoco

    from leisaac_core import so101

    env = make_env_from_config(
        make_env_config("mujoco", task=TASK, camera_width=16, camera_height=16)
    )
    model = env.model  # type: ignore[attr-defined]
    substeps = env.substeps  # type: ignore[attr-defined]
    data = mujoco.MjData(model)
    targets = [so101.normalized_to_radians(a) for a in actions]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for target in targets:
        data.ctrl[:6] = target
        mujoco.mj_step(model, data, nstep=substeps)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    env.close()
    return {
        "ticks": len(actions),
        "ticks_per_s": len(actions) / wall,
        "cpu_s_per_tick": cpu / len(actions),
        "wall_ms_per_tick": 1e3 * wall / len(actions),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--sizes", default="640x480,320x240")
    args = parser.parse_args()
    actions = record_actions(args.ticks)
    rows: dict[str, dict[str, float]] = {"physics only (anchor)": measure_physics(actions)}
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        rows[f"front+wrist {size}"] = measure_env(actions, width, height)
    anchor = rows["physics only (anchor)"]
    for row in rows.values():
        row["cpu_ratio_to_anchor"] = row["cpu_s_per_tick"] / anchor["cpu_s_per_tick"]
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "mujoco_gl": os.environ.get("MUJOCO_GL", ""),
        },
        "task": TASK,
        "seed": SEED,
        "target_ticks_per_s_640x480": TARGET_TICKS_PER_S,
        "rows": rows,
    }
    out = ROOT / "bench" / "results" / "sim.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(
        f"{TASK}, {args.ticks} ticks, {os.cpu_count()} CPUs, MUJOCO_GL="
        f"{results['machine']['mujoco_gl']}"
    )
    print(f"{'':26}{'ticks/s':>10}{'ms/tick':>10}{'CPU s/tick':>12}{'CPU x anchor':>14}")
    for name, row in rows.items():
        print(
            f"{name:26}{row['ticks_per_s']:10.1f}{row['wall_ms_per_tick']:10.2f}"
            f"{row['cpu_s_per_tick']:12.4f}{row['cpu_ratio_to_anchor']:14.1f}"
        )
    full = rows.get("front+wrist 640x480")
    if full:
        verdict = "meets" if full["ticks_per_s"] >= TARGET_TICKS_PER_S else "MISSES"
        print(f"640x480 both cameras {verdict} the {TARGET_TICKS_PER_S:g} ticks/s target")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
