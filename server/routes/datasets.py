"""Local datasets: list them, list and inspect episodes, stream their videos, delete episodes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from leisaac_core.dataset import (
    DatasetBusyError,
    DatasetExistsError,
    MergeError,
    dataset_dir,
    delete_episodes,
    list_datasets,
    load_episode_signals,
    load_episodes,
    merge_datasets,
)
from server.deps import EngineDep, SettingsDep

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

Namespace = Annotated[str, PathParam(min_length=1, max_length=96)]
Name = Annotated[str, PathParam(min_length=1, max_length=96)]


def _dir(settings: Any, namespace: str, name: str) -> Path:
    try:
        path = dataset_dir(settings.dataset_root, f"{namespace}/{name}")
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if not (path / "meta" / "info.json").is_file():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"no dataset {namespace}/{name} under {settings.dataset_root}",
        )
    return path


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def episode_item(record: Any, path: Path, namespace: str, name: str) -> dict[str, Any]:
    """An episode as JSON, each video's file path replaced by its URL under this router."""
    item = _plain(record)
    for video in (item.get("videos") or {}).values():
        relative = Path(video.pop("path")).resolve().relative_to(path.resolve())
        video["url"] = f"/api/datasets/{namespace}/{name}/files/{relative.as_posix()}"
    return item


@router.get("", summary="Datasets under the server's dataset root")
async def get_datasets(settings: SettingsDep) -> list[dict[str, Any]]:
    summaries = await run_in_threadpool(list_datasets, settings.dataset_root)
    return [_plain(s) for s in summaries]


@router.get("/{namespace}/{name}/episodes", summary="Episodes with outcome, length and QC figures")
async def get_episodes(
    namespace: Namespace,
    name: Name,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0, description="first episode index to return")] = 0,
    limit: Annotated[
        int | None, Query(ge=1, description="at most this many episodes (default: all)")
    ] = None,
) -> list[dict[str, Any]]:
    path = _dir(settings, namespace, name)
    records = await run_in_threadpool(load_episodes, path, offset, limit)
    return [episode_item(record, path, namespace, name) for record in records]


@router.get(
    "/{namespace}/{name}/episodes/{index}/signals", summary="Joint trajectories of one episode"
)
async def get_signals(
    namespace: Namespace, name: Name, index: int, settings: SettingsDep
) -> dict[str, Any]:
    path = _dir(settings, namespace, name)
    try:
        signals = await run_in_threadpool(load_episode_signals, path, index)
    except (KeyError, IndexError, ValueError):
        raise HTTPException(
            404, detail=f"dataset {namespace}/{name} has no episode {index}"
        ) from None
    return _plain({k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in signals.items()})


@router.delete(
    "/{namespace}/{name}/episodes/{index}", summary="Delete one episode (indices are renumbered)"
)
async def delete_episode(
    namespace: Namespace, name: Name, index: int, settings: SettingsDep, engine: EngineDep
) -> dict[str, Any]:
    path = _dir(settings, namespace, name)
    snapshot = engine.snapshot
    if snapshot.repo_id == f"{namespace}/{name}" and snapshot.phase != "idle":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"a session is recording into {namespace}/{name}; stop it before deleting episodes",
        )
    found = await run_in_threadpool(load_episodes, path, max(index, 0), 1)
    if index < 0 or not found:
        raise HTTPException(404, detail=f"dataset {namespace}/{name} has no episode {index}")
    await run_in_threadpool(delete_episodes, path, [index])
    info = json.loads((path / "meta" / "info.json").read_text())
    return {"deleted": index, "episodes": int(info["total_episodes"])}


@router.get(
    "/{namespace}/{name}/files/{file_path:path}",
    summary="A video file of the dataset (HTTP Range supported)",
)
async def get_file(
    namespace: Namespace, name: Name, file_path: str, settings: SettingsDep
) -> FileResponse:
    path = _dir(settings, namespace, name)
    target = (path / file_path).resolve()
    videos = (path / "videos").resolve()
    if not target.is_relative_to(videos) or not target.is_file() or target.suffix != ".mp4":
        raise HTTPException(404, detail=f"no video {file_path!r} in {namespace}/{name}")
    return FileResponse(target, media_type="video/mp4")


class MergeRequest(BaseModel):
    sources: list[str] = Field(
        min_length=2, description="repo ids (NS/NAME) of the datasets to merge, in order"
    )
    into: str = Field(description="repo id of the new dataset")


class MergeResponse(BaseModel):
    repo_id: str
    sources: list[str]
    episodes: int
    frames: int
    tasks: int


@router.post(
    "/merge",
    status_code=status.HTTP_201_CREATED,
    summary="Merge datasets (same fps, robot type and features) into a new dataset",
)
async def merge(body: MergeRequest, settings: SettingsDep) -> MergeResponse:
    root = settings.dataset_root
    try:
        sources = [(repo_id, dataset_dir(root, repo_id)) for repo_id in body.sources]
        into = dataset_dir(root, body.into)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    try:
        result = await run_in_threadpool(merge_datasets, sources, body.into, into)
    except FileNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except (DatasetExistsError, DatasetBusyError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except (MergeError, ValueError) as exc:
        raise HTTPException(422, detail=str(exc)) from None
    return MergeResponse(
        repo_id=result.repo_id,
        sources=list(result.sources),
        episodes=result.episodes,
        frames=result.frames,
        tasks=result.tasks,
    )
