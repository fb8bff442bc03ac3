"""What a control tick of the embedded MuJoCo backend costs on this machine, per camera size:
the cache file and how to read it.

`leisaac-dashboard doctor` measures it in a subprocess (`python -m leisaac_core.render_cost`,
which drives the scripted demonstrator and so lives above teleop) and keeps the result in a
small cache file, from which the server's start form suggests the largest camera size that
holds the dataset fps here. The figure is the median wall time of `env.step` (physics and
both cameras) along a scripted demonstration; a size "holds" when that is at most half the
period, leaving the other half for recording and the live view. Two-arm tasks (two arms,
three cameras) are measured on their own (`two_arm_sizes`), as their ticks cost more.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

SIZES: tuple[tuple[int, int], ...] = ((640, 480), (480, 360), (320, 240), (160, 120))
HEADROOM = 0.5  # the share of the period a tick's simulation and rendering may take
TASK = "so101_pick_orange"
TWO_ARM_TASK = "bi_so101_clean_toy_table"
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


def versions() -> dict[str, str]:
    """Part of the cache key: figures measured with other versions are not used."""
    import importlib.metadata

    from leisaac_core import __version__

    return {
        "leisaac_dashboard": __version__,
        "mujoco": importlib.metadata.version("mujoco"),
        "renderer": str(RENDERER_REVISION),
    }


_versions = versions  # the earlier name (tests/browser/test_start_form.py)


def largest_holding(sizes: list[dict[str, Any]], fps: int) -> str | None:
    budget_ms = HEADROOM * 1e3 / fps
    holding = [s for s in sizes if s["tick_ms"] <= budget_ms]
    best = max(holding, key=lambda s: s["width"] * s["height"], default=None)
    return f"{best['width']}x{best['height']}" if best else None


def load_cached(path: Path | None = None) -> dict[str, Any] | None:
    """The last measurement, if it was made on this CPU with these versions."""
    path = path or cache_path()
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if result.get("cpu") != cpu_model() or result.get("versions") != versions():
        return None
    return result


def summary(result: dict[str, Any]) -> str:
    figures = ", ".join(
        f"{s['width']}x{s['height']} {s['tick_ms']:.1f} ms" for s in result["sizes"]
    )
    largest = result["largest_holding"] or "none of the sizes measured"
    text = (
        f"per tick (physics + both cameras): {figures}; largest camera size holding "
        f"{result['fps']} fps with headroom here: {largest}"
    )
    if result.get("two_arm_sizes"):
        two = ", ".join(
            f"{s['width']}x{s['height']} {s['tick_ms']:.1f} ms" for s in result["two_arm_sizes"]
        )
        largest = result.get("two_arm_largest_holding") or "none of the sizes measured"
        text += f"; two arms, three cameras: {two}; largest holding: {largest}"
    return text
