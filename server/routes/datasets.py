"""Local datasets: list them, list and inspect episodes, stream their videos, delete episodes,
merge datasets and pack a dataset's files (the last two report progress as operations)."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from leisaac_core.dataset import (
    DatasetBusyError,
    DatasetExistsError,
    DatasetSummary,
    MergeError,
    compact_dataset,
    dataset_dir,
    delete_episodes,
    list_datasets,
    load_episode_signals,
    load_episodes,
    merge_datasets,
)
from server.dataset_access import (
    Name,
    Namespace,
    episode_item,
    existing_episode,
    local_dataset,
    no_episode,
)
from server.deps import EngineDep, OperationsDep, SettingsDep
from server.models import (
    CompactionOut,
    DatasetSummaryOut,
    EpisodeDeleted,
    EpisodeOut,
    EpisodeSignals,
    MergeResponse,
    binary_responses,
)

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


def _summary(summary: DatasetSummary) -> DatasetSummaryOut:
    fields = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
    return DatasetSummaryOut.model_validate({**fields, "path": str(summary.path)})


@router.get("", summary="Datasets under the server's dataset root")
async def get_datasets(settings: SettingsDep) -> list[DatasetSummaryOut]:
    summaries = await run_in_threadpool(list_datasets, settings.dataset_root)
    return [_summary(s) for s in summaries]


@router.get("/{namespace}/{name}/episodes", summary="Episodes with outcome, length and QC figures")
async def get_episodes(
    namespace: Namespace,
    name: Name,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0, description="first episode index to return")] = 0,
    limit: Annotated[
        int | None, Query(ge=1, description="at most this many episodes (default: all)")
    ] = None,
) -> list[EpisodeOut]:
    path = local_dataset(settings, namespace, name)
    records = await run_in_threadpool(load_episodes, path, offset, limit)
    return [episode_item(record, path, namespace, name) for record in records]


@router.get(
    "/{namespace}/{name}/episodes/{index}/signals", summary="Joint trajectories of one episode"
)
async def get_signals(
    namespace: Namespace, name: Name, index: int, settings: SettingsDep
) -> EpisodeSignals:
    path = local_dataset(settings, namespace, name)
    try:
        signals = await run_in_threadpool(load_episode_signals, path, index)
    except (KeyError, IndexError, ValueError):
        raise no_episode(namespace, name, index, path) from None
    return EpisodeSignals.model_validate(
        {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in signals.items()}
    )


@router.delete(
    "/{namespace}/{name}/episodes/{index}", summary="Delete one episode (indices are renumbered)"
)
async def delete_episode(
    namespace: Namespace, name: Name, index: int, settings: SettingsDep, engine: EngineDep
) -> EpisodeDeleted:
    path = local_dataset(settings, namespace, name)
    snapshot = engine.snapshot
    if snapshot.repo_id == f"{namespace}/{name}" and snapshot.phase != "idle":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"a session is recording into {namespace}/{name}; stop it before deleting episodes",
        )
    await run_in_threadpool(existing_episode, path, namespace, name, index)
    await run_in_threadpool(delete_episodes, path, [index])
    info = json.loads((path / "meta" / "info.json").read_text())
    return EpisodeDeleted(deleted=index, episodes=int(info["total_episodes"]))


@router.get(
    "/{namespace}/{name}/files/{file_path:path}",
    summary="A video file of the dataset (HTTP Range supported)",
    response_class=FileResponse,
    responses=binary_responses("video/mp4", "the MP4 file"),
)
async def get_file(
    namespace: Namespace, name: Name, file_path: str, settings: SettingsDep
) -> FileResponse:
    path = local_dataset(settings, namespace, name)
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


def _http_error(exc: Exception) -> HTTPException:
    """The answer for a merge or compaction that failed on a known error."""
    if isinstance(exc, FileNotFoundError):
        return HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc))
    if isinstance(exc, DatasetExistsError | DatasetBusyError):
        return HTTPException(status.HTTP_409_CONFLICT, detail=str(exc))
    return HTTPException(422, detail=str(exc))


KNOWN_ERRORS = (FileNotFoundError, DatasetExistsError, DatasetBusyError, MergeError, ValueError)


@router.post(
    "/merge",
    status_code=status.HTTP_201_CREATED,
    summary="Merge datasets (same fps, robot type and features) into a new dataset "
    "(progress: GET /api/operations)",
)
async def merge(
    body: MergeRequest, settings: SettingsDep, operations: OperationsDep
) -> MergeResponse:
    root = settings.dataset_root
    try:
        sources = [(repo_id, dataset_dir(root, repo_id)) for repo_id in body.sources]
        into = dataset_dir(root, body.into)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    try:
        result = await operations.run(
            "merge",
            body.into,
            f"Merging {', '.join(body.sources)} into {body.into}",
            lambda progress: merge_datasets(sources, body.into, into, progress=progress),
        )
    except KNOWN_ERRORS as exc:
        raise _http_error(exc) from None
    return MergeResponse(
        repo_id=result.repo_id,
        sources=list(result.sources),
        episodes=result.episodes,
        frames=result.frames,
        tasks=result.tasks,
    )


@router.post(
    "/{namespace}/{name}/compact",
    summary="Pack the dataset's episodes into lerobot-sized files now (progress: "
    "GET /api/operations)",
)
async def compact(
    namespace: Namespace, name: Name, settings: SettingsDep, operations: OperationsDep
) -> CompactionOut:
    path = local_dataset(settings, namespace, name)
    repo_id = f"{namespace}/{name}"
    try:
        result = await operations.run(
            "compaction",
            repo_id,
            f"Packing the files of {repo_id}",
            lambda progress: compact_dataset(path, progress=progress),
        )
    except KNOWN_ERRORS as exc:
        raise _http_error(exc) from None
    return CompactionOut(
        episodes_moved=result.episodes_moved,
        files_before=result.files_before,
        files_after=result.files_after,
    )
