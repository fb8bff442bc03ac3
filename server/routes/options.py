"""What a session can be started with: tasks, backends, devices (for forms and scripts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leisaac_core.sim import ENV_CONFIGS
from leisaac_core.sim.mujoco.cost import load_cached as load_cached_render_cost
from leisaac_core.tasks import TASKS
from leisaac_core.teleop import DEVICE_CONFIGS
from server.deps import SettingsDep

router = APIRouter(prefix="/api/options", tags=["options"])


@router.get("", summary="Tasks, backends and devices a session can use, with defaults")
async def get_options(settings: SettingsDep) -> dict[str, Any]:
    return {
        "tasks": [
            {
                "name": t.name,
                "leisaac_id": t.leisaac_id,
                "text": t.task_text,
                "episode_time_s": t.episode_time_s,
                "cameras": list(t.camera_names),
            }
            for t in TASKS.values()
        ],
        "backends": sorted(ENV_CONFIGS),
        "devices": sorted(DEVICE_CONFIGS),
        "defaults": {
            "task": settings.task,
            "backend": settings.backend,
            "device": settings.device,
            "fps": settings.fps,
            "camera_width": settings.camera_width,
            "camera_height": settings.camera_height,
        },
        # Per-size tick cost measured by `leisaac-dashboard doctor` on this machine, or None.
        "render_cost": load_cached_render_cost(),
    }
