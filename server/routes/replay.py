"""Replay a recorded episode in the sim (REST), and serve the replayed cameras' videos.

A replay builds its own env on a worker thread of the web layer, apart from the session's
worker: it is refused while a session or a fleet run records (it would take CPU from their
loops), and one replay runs at a time. Its progress (frames stepped) reaches every page as
an operation (server/operations.py). The replayed videos live under <dataset root>/.replays/,
outside every dataset, and are replaced by the next replay of the same episode.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from leisaac_core.config import Settings
from leisaac_core.replay import ReplayError, replay_episode
from server.dataset_access import Name, Namespace, existing_episode, local_dataset
from server.deps import EngineDep, OperationsDep, SettingsDep, refuse_while_fleet_runs
from server.models import ReplayOut, binary_responses

router = APIRouter(prefix="/api/datasets", tags=["replay"])
_one_at_a_time = asyncio.Lock()


def _replay_dir(settings: Settings, namespace: str, name: str, index: int) -> Path:
    return Path(settings.dataset_root) / ".replays" / namespace / name / str(index)


@router.post(
    "/{namespace}/{name}/episodes/{index}/replay",
    summary="Replay an episode's actions in the sim from its stored seed (progress: "
    "GET /api/operations, or the websocket's operation messages)",
    dependencies=[Depends(refuse_while_fleet_runs)],
)
async def post_replay(
    namespace: Namespace,
    name: Name,
    index: int,
    settings: SettingsDep,
    engine: EngineDep,
    operations: OperationsDep,
) -> ReplayOut:
    path = local_dataset(settings, namespace, name)
    await run_in_threadpool(existing_episode, path, namespace, name, index)
    if engine.snapshot.phase != "idle":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="a session is running; stop it before replaying (a replay would take CPU "
            "from its control loop)",
        )
    if _one_at_a_time.locked():
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="another replay is running; try again when it ends"
        )
    async with _one_at_a_time:
        out = _replay_dir(settings, namespace, name, index)
        shutil.rmtree(out, ignore_errors=True)
        try:
            result = await operations.run(
                "replay",
                f"{namespace}/{name}#{index}",
                f"Replaying episode {index} of {namespace}/{name}",
                lambda progress: replay_episode(path, index, out, progress=progress),
            )
        except ReplayError as exc:
            raise HTTPException(422, detail=str(exc)) from None
    base = f"/api/datasets/{namespace}/{name}/episodes/{index}/replay/"
    return ReplayOut.model_validate(
        {
            **{k: getattr(result, k) for k in ReplayOut.model_fields if hasattr(result, k)},
            "same_outcome": result.success == (result.recorded_outcome == "success"),
            "videos": {camera: f"{base}{camera}.mp4" for camera in result.videos},
        }
    )


@router.get(
    "/{namespace}/{name}/episodes/{index}/replay/{camera}.mp4",
    summary="A replayed camera's video (after a replay)",
    response_class=FileResponse,
    responses=binary_responses("video/mp4", "the replayed camera's MP4 file"),
)
async def get_replay_video(
    namespace: Namespace, name: Name, index: int, camera: str, settings: SettingsDep
) -> FileResponse:
    target = _replay_dir(settings, namespace, name, index) / f"{camera}.mp4"
    if "/" in camera or not target.is_file():
        raise HTTPException(404, detail=f"no replay of camera {camera!r} for episode {index}")
    return FileResponse(target, media_type="video/mp4")
