"""The episode table of a large dataset: one page at a time, sorted and filtered by outcome
and QC, with suspect episodes flagged; and deleting several episodes at once.

The page is cut on the server, so the browser never receives thousands of rows. Filtering
and sorting run over the dataset's episode metadata (one row per episode, no frame data).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from leisaac_core.dataset import EpisodeRecord, delete_episodes, load_episodes
from server.dataset_access import Name, Namespace, episode_item, local_dataset
from server.deps import EngineDep, SettingsDep
from server.models import EpisodePage, EpisodeRow, EpisodesDeleted

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

SortKey = Literal["index", "length", "outcome", "fps_achieved", "period_p99_ms", "dropped"]


def _dropped(record: EpisodeRecord) -> int | None:
    """None where the dataset does not record drops (sorted last, like other missing figures)."""
    return None if record.frames_dropped is None else sum(record.frames_dropped.values())


def _sort_value(record: EpisodeRecord, key: str) -> int | float | str | None:
    if key == "dropped":
        return _dropped(record)
    if key == "outcome":
        return record.outcome or "unknown"
    return getattr(record, key)


@router.get(
    "/{namespace}/{name}/episodes/page",
    summary="One page of episodes, sorted and filtered by outcome and QC",
)
async def get_episode_page(
    namespace: Namespace,
    name: Name,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: SortKey = "index",
    order: Literal["asc", "desc"] = "asc",
    outcome: Annotated[str | None, Query(max_length=32)] = None,
    suspect: Annotated[bool, Query(description="only episodes with QC flags")] = False,
) -> EpisodePage:
    path = local_dataset(settings, namespace, name)
    records = await run_in_threadpool(load_episodes, path)
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[r.outcome or "unknown"] = outcomes.get(r.outcome or "unknown", 0) + 1
    chosen = [
        r
        for r in records
        if (outcome is None or (r.outcome or "unknown") == outcome) and (not suspect or r.qc_flags)
    ]
    # Missing figures (None) sort last whichever the order.
    present = [r for r in chosen if _sort_value(r, sort) is not None]
    missing = [r for r in chosen if _sort_value(r, sort) is None]
    present.sort(key=lambda r: (_sort_value(r, sort), r.index), reverse=order == "desc")
    page = (present + missing)[offset : offset + limit]
    items = [
        EpisodeRow(**dict(episode_item(record, path, namespace, name)), dropped=_dropped(record))
        for record in page
    ]
    return EpisodePage(
        total=len(records),
        matched=len(chosen),
        offset=offset,
        limit=limit,
        outcomes=outcomes,
        suspect=sum(1 for r in records if r.qc_flags),
        items=items,
    )


class DeleteMany(BaseModel):
    indices: list[int] = Field(min_length=1, max_length=100_000)


@router.post(
    "/{namespace}/{name}/episodes/delete",
    summary="Delete several episodes at once (later episodes are renumbered)",
)
async def delete_many(
    namespace: Namespace,
    name: Name,
    body: DeleteMany,
    settings: SettingsDep,
    engine: EngineDep,
) -> EpisodesDeleted:
    path = local_dataset(settings, namespace, name)
    snapshot = engine.snapshot
    if snapshot.repo_id == f"{namespace}/{name}" and snapshot.phase != "idle":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"a session is recording into {namespace}/{name}; stop it before deleting episodes",
        )
    records = await run_in_threadpool(load_episodes, path)
    known = {r.index for r in records}
    wanted = sorted(set(body.indices))
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise HTTPException(
            422,
            detail=f"dataset {namespace}/{name} has no episode(s) {unknown[:20]}; nothing was "
            f"deleted (it has {len(records)} episodes, 0..{len(records) - 1})",
        )
    await run_in_threadpool(delete_episodes, path, wanted)
    return EpisodesDeleted(deleted=wanted, episodes=len(records) - len(wanted))
