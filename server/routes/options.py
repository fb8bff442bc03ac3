"""What a session can be started with: tasks, backends, devices (for forms and scripts)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import ValidationError

from leisaac_core.sim import ENV_CONFIGS
from leisaac_core.sim.mujoco.cost import load_cached as load_cached_render_cost
from leisaac_core.tasks import TASKS
from leisaac_core.teleop import DEVICE_CONFIGS
from server.deps import SettingsDep
from server.models import OptionsOut, RenderCostOut

router = APIRouter(prefix="/api/options", tags=["options"])


def _render_cost() -> RenderCostOut | None:
    """Per-size tick cost measured by `leisaac-dashboard doctor` on this machine, or None
    (also for a cache file this version cannot read)."""
    cached = load_cached_render_cost()
    if cached is None:
        return None
    try:
        return RenderCostOut.model_validate(cached)
    except ValidationError:
        return None


@router.get(
    "",
    summary="Tasks, backends and devices a session can use, with defaults",
    # The render cost cache may lack figures that older doctors did not write.
    response_model_exclude_unset=True,
)
async def get_options(settings: SettingsDep) -> OptionsOut:
    return OptionsOut.model_validate(
        {
            "tasks": [
                {
                    "name": t.name,
                    "leisaac_id": t.leisaac_id,
                    "text": t.task_text,
                    "episode_time_s": t.episode_time_s,
                    "cameras": list(t.camera_names),
                    "arms": [a.name for a in t.arms if a.name],
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
            "render_cost": _render_cost(),
            "dataset_root": str(settings.dataset_root),
        }
    )
