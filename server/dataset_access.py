"""Local datasets as the routes reach them: the path parameters, the dataset directory
(404 when absent), an episode (404 when absent, the same answer from every route), and an
episode as JSON with its videos' URLs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

from fastapi import HTTPException, status
from fastapi import Path as PathParam

from leisaac_core.config import Settings
from leisaac_core.dataset import EpisodeRecord, dataset_dir, load_episodes
from server.models import EpisodeOut, VideoOut

Namespace = Annotated[str, PathParam(min_length=1, max_length=96)]
Name = Annotated[str, PathParam(min_length=1, max_length=96)]


def local_dataset(settings: Settings, namespace: str, name: str) -> Path:
    """The directory of dataset NAMESPACE/NAME under the server's dataset root: 422 for an
    id that is not one, 404 when no dataset is there."""
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


def no_episode(namespace: str, name: str, index: int, path: Path) -> HTTPException:
    """The 404 for an episode index the dataset does not have."""
    info = json.loads((path / "meta" / "info.json").read_text())
    total = int(info.get("total_episodes", 0))
    has = {0: "it has none", 1: "it has 1: episode 0"}.get(total, f"it has {total}: 0..{total - 1}")
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        detail=f"dataset {namespace}/{name} has no episode {index} ({has})",
    )


def existing_episode(path: Path, namespace: str, name: str, index: int) -> EpisodeRecord:
    """The episode's record (reads one metadata row); 404 when the dataset has no such
    episode. Blocking: call it on a worker thread."""
    found = load_episodes(path, index, 1) if index >= 0 else []
    if not found or found[0].index != index:
        raise no_episode(namespace, name, index, path)
    return found[0]


def episode_item(record: EpisodeRecord, path: Path, namespace: str, name: str) -> EpisodeOut:
    """An episode as JSON, each video's file path replaced by its URL under
    /api/datasets/NAMESPACE/NAME/files/."""
    base = f"/api/datasets/{namespace}/{name}/files/"
    root = path.resolve()
    videos = {
        camera: VideoOut(
            from_s=span.from_s,
            to_s=span.to_s,
            url=base + Path(span.path).resolve().relative_to(root).as_posix(),
        )
        for camera, span in record.videos.items()
    }
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    return EpisodeOut.model_validate({**fields, "videos": videos})
