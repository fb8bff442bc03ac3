"""Review before keeping (session option `review`): keep or discard an episode this session
saved. Episodes are committed before review; discarding deletes one on the writer's thread
while the session goes on. When no session runs, DELETE /api/datasets/.../episodes/{i}
removes an episode instead."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from server.commands import run_command
from server.deps import EngineDep
from server.models import SessionStatusOut

router = APIRouter(prefix="/api/session/review", tags=["session"])


@router.post("/{episode_index}/{decision}", summary="Keep or discard an episode awaiting review")
async def review_episode(
    episode_index: int, decision: Literal["keep", "discard"], engine: EngineDep
) -> SessionStatusOut:
    await run_command(engine, decision, {"episode_index": episode_index})
    return SessionStatusOut.of(engine.snapshot)
