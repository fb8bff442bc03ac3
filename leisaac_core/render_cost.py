"""Measure what a control tick of the embedded MuJoCo backend costs here, per camera size.

`leisaac-dashboard doctor` runs this in a subprocess (`python -m leisaac_core.render_cost`;
GL state and MUJOCO_GL are per process) and caches the result where
`leisaac_core.sim.mujoco.cost` reads it for the start form. It drives the scripted
demonstrator, so it sits above teleop (next to the doctor), not in sim.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.sim.mujoco.cost import (
    HEADROOM,
    SIZES,
    TASK,
    TWO_ARM_TASK,
    cache_path,
    cpu_model,
    largest_holding,
    summary,
    versions,
)
from leisaac_core.teleop import make_device_config, make_device_from_config


def measure_tick_ms(
    width: int, height: int, fps: int = 30, ticks: int = 90, task: str = TASK
) -> float:
    """Median wall milliseconds of one `env.step` at this camera size, over the first
    three seconds of a scripted demonstration (the arm leaves its rest pose and reaches out,
    so the front camera's moving window is as large as in use; 30 ticks near rest read
    6.0-8.5 ms at 640x480 from run to run)."""
    env = make_env_from_config(
        make_env_config("mujoco", task=task, fps=fps, camera_width=width, camera_height=height)
    )
    try:
        device = make_device_from_config(make_device_config("scripted"))
        device.connect(env)
        step = env.reset(seed=0)
        device.reset(0)
        durations = []
        for _ in range(ticks + 5):
            action = device.read(step)
            start = time.perf_counter()
            step = env.step(action)
            durations.append(time.perf_counter() - start)
        return 1e3 * statistics.median(durations[5:])  # the first ticks warm caches
    finally:
        env.close()


def measure(fps: int = 30) -> dict[str, Any]:
    sizes = [
        {"width": w, "height": h, "tick_ms": round(measure_tick_ms(w, h, fps), 2)} for w, h in SIZES
    ]
    two_arm_sizes = [
        {
            "width": w,
            "height": h,
            "tick_ms": round(measure_tick_ms(w, h, fps, task=TWO_ARM_TASK), 2),
        }
        for w, h in SIZES
    ]
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "mujoco_gl": os.environ.get("MUJOCO_GL", ""),
        "versions": versions(),
        "measured_at": time.time(),
        "fps": fps,
        "headroom": HEADROOM,
        "sizes": sizes,
        "largest_holding": largest_holding(sizes, fps),
        "two_arm_sizes": two_arm_sizes,
        "two_arm_largest_holding": largest_holding(two_arm_sizes, fps),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure(args.fps)
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2))
    except OSError as exc:  # a read-only home still gets the figures printed
        print(f"could not cache the result at {path}: {exc}", file=sys.stderr)
    print(json.dumps(result) if args.json else summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
