"""What a control tick of the embedded MuJoCo backend costs on this machine, per camera size.

`leisaac-dashboard doctor` runs this in a subprocess (`python -m leisaac_core.sim.mujoco.cost`)
and keeps the result in a small cache file, from which the server's start form suggests the
largest camera size that holds the dataset fps here. The figure is the median wall time of
`env.step` (physics and both cameras) along a scripted demonstration; a size "holds" when
that is at most half the period, leaving the other half for recording and the live view.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

SIZES: tuple[tuple[int, int], ...] = ((640, 480), (480, 360), (320, 240), (160, 120))
HEADROOM = 0.5  # the share of the period a tick's simulation and rendering may take
TASK = "so101_pick_orange"
# Part of the cache key: bump it with a change to render.py that makes ticks cheaper or
# dearer, so that doctor measures again instead of suggesting sizes from old figures.
RENDERER_REVISION = 2


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leisaac-dashboard" / "render_cost.json"


def _versions() -> dict[str, str]:
    import importlib.metadata

    from leisaac_core import __version__

    return {
        "leisaac_dashboard": __version__,
        "mujoco": importlib.metadata.version("mujoco"),
        "renderer": str(RENDERER_REVISION),
    }


def measure_tick_ms(width: int, height: int, fps: int = 30, ticks: int = 90) -> float:
    """Median wall milliseconds of one `env.step` at this camera size, over the first
    three seconds of a scripted demonstration (the arm leaves its rest pose and reaches out,
    so the front camera's moving window is as large as in use; 30 ticks near rest read
    6.0-8.5 ms at 640x480 from run to run)."""
    from leisaac_core.sim import make_env_config, make_env_from_config
    from leisaac_core.teleop import make_device_config, make_device_from_config

    env = make_env_from_config(
        make_env_config("mujoco", task=TASK, fps=fps, camera_width=width, camera_height=height)
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


def largest_holding(sizes: list[dict[str, Any]], fps: int) -> str | None:
    budget_ms = HEADROOM * 1e3 / fps
    holding = [s for s in sizes if s["tick_ms"] <= budget_ms]
    best = max(holding, key=lambda s: s["width"] * s["height"], default=None)
    return f"{best['width']}x{best['height']}" if best else None


def measure(fps: int = 30) -> dict[str, Any]:
    sizes = [
        {"width": w, "height": h, "tick_ms": round(measure_tick_ms(w, h, fps), 2)} for w, h in SIZES
    ]
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "mujoco_gl": os.environ.get("MUJOCO_GL", ""),
        "versions": _versions(),
        "measured_at": time.time(),
        "fps": fps,
        "headroom": HEADROOM,
        "sizes": sizes,
        "largest_holding": largest_holding(sizes, fps),
    }


def load_cached(path: Path | None = None) -> dict[str, Any] | None:
    """The last measurement, if it was made on this CPU with these versions."""
    path = path or cache_path()
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if result.get("cpu") != cpu_model() or result.get("versions") != _versions():
        return None
    return result


def summary(result: dict[str, Any]) -> str:
    figures = ", ".join(
        f"{s['width']}x{s['height']} {s['tick_ms']:.1f} ms" for s in result["sizes"]
    )
    largest = result["largest_holding"] or "none of the sizes measured"
    return (
        f"per tick (physics + both cameras): {figures}; largest camera size holding "
        f"{result['fps']} fps with headroom here: {largest}"
    )


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
