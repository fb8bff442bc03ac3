"""REST for automation: configure and start a session, drive it, read its status and events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool

from leisaac_core.session import SessionConfig
from server.commands import START_TIMEOUT_S, run_command
from server.deps import EngineDep, SettingsDep, refuse_while_fleet_runs
from server.models import EventOut, EventPage, SessionStatusOut
from server.policy_access import with_allowed_policy_url
from server.resume_conflict import ResumeConflictOut

router = APIRouter(prefix="/api/session", tags=["session"])


@router.get("", summary="Current session status")
async def get_session(engine: EngineDep) -> SessionStatusOut:
    return SessionStatusOut.of(engine.snapshot)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Configure and start a session",
    dependencies=[Depends(refuse_while_fleet_runs)],
    responses={
        409: {
            "model": ResumeConflictOut,
            "description": "refused: a session or a fleet run records, the dataset exists "
            "without 'resume' (with 'exists'), or (with 'differences') it was recorded with "
            "other settings",
        }
    },
)
async def start_session(
    config: SessionConfig, engine: EngineDep, settings: SettingsDep
) -> SessionStatusOut:
    if config.dataset.root is not None:
        raise HTTPException(
            422,
            detail="'dataset.root' cannot be set over the API: datasets live under the server's "
            f"dataset root ({settings.dataset_root}); choose the dataset with 'dataset.repo_id'",
        )
    config = with_allowed_policy_url(config, settings)
    await run_command(engine, "start", config, timeout=START_TIMEOUT_S)
    return SessionStatusOut.of(engine.snapshot)


def _command_route(name: str, summary: str) -> None:
    async def run(engine: EngineDep) -> SessionStatusOut:
        await run_command(engine, name)
        return SessionStatusOut.of(engine.snapshot)

    run.__name__ = f"session_{name}"
    router.add_api_route(f"/{name}", run, methods=["POST"], summary=summary)


_command_route("stop", "Stop the session (an episode under way is discarded)")
_command_route("success", "Mark the episode under way successful (it is saved)")
_command_route("failure", "Mark the episode under way failed (it is discarded)")
_command_route("rerecord", "Discard the episode under way and record it again")
_command_route("reset", "Reset the scene: skips the reset wait, or recovers from an error")


@router.get("/events", summary="Events after sequence number `since`")
async def get_events(engine: EngineDep, since: int = 0) -> list[EventOut]:
    events = await run_in_threadpool(engine.events_since, since)
    return [EventOut.model_validate(e.to_dict()) for e in events]


@router.get("/events/page", summary="Events before sequence number `before`, from the log")
async def get_event_page(
    engine: EngineDep,
    before: Annotated[int | None, Query(ge=1, description="none: the newest events")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    events = await run_in_threadpool(engine.event_log.page, before, limit)
    older = events[0].seq if events and events[0].seq > 1 else None
    return EventPage(items=[EventOut.model_validate(e.to_dict()) for e in events], older=older)
