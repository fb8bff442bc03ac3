"""REST for automation: configure and start a session, drive it, read its status and events."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.concurrency import run_in_threadpool

from leisaac_core.config import Settings
from leisaac_core.session import SessionConfig
from server.commands import START_TIMEOUT_S, run_command
from server.deps import EngineDep, SettingsDep, refuse_while_fleet_runs
from server.models import EventOut, SessionStatusOut
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
    if config.root is not None:
        raise HTTPException(
            422,
            detail="'root' cannot be set over the API: datasets live under the server's dataset "
            f"root ({settings.dataset_root}); choose the dataset with 'repo_id'",
        )
    if config.device == "policy" or config.policy_url:
        config = _with_allowed_policy_url(config, settings)
    await run_command(engine, "start", config, timeout=START_TIMEOUT_S)
    return SessionStatusOut.of(engine.snapshot)


def _with_allowed_policy_url(config: SessionConfig, settings: Settings) -> SessionConfig:
    """The policy server comes from the server's own settings, or from an authenticated
    request (a server with a token checks it on this route before the body is read)."""
    url = config.policy_url or settings.policy_url
    if url is None:
        raise HTTPException(
            422,
            detail="device 'policy' needs 'policy_url' (ws://HOST:PORT of an OpenPI policy "
            "server), or a server started with LEISAAC_POLICY_URL",
        )
    configured = {u for u in (settings.policy_url, *settings.policy_urls) if u}
    if url not in configured and settings.token is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"policy_url {url!r} is not in this server's configuration and the request "
            "is not authenticated (the server has no token): start the server with "
            "LEISAAC_POLICY_URLS='[\"" + url + "\"]' (or LEISAAC_POLICY_URL), or run it with a "
            "token",
        )
    return config.model_copy(update={"policy_url": url})


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
