"""Commands for the session's worker thread, from the REST routes: submitted, awaited, and
turned into a 409 with a message when the session refuses them or takes too long."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from fastapi import HTTPException, status

from leisaac_core.session import CommandRejected, SessionConfig, SessionEngine
from server.resume_conflict import conflict_for

# A start builds the env and opens the dataset on the worker thread, and for a checkpoint
# policy first waits for its server to load (PolicyCheckpointConfig.startup_timeout_s, at
# most 240 s); give it time.
START_TIMEOUT_S = 300.0
COMMAND_TIMEOUT_S = 60.0

CommandPayload = SessionConfig | Mapping[str, int] | None


async def run_command(
    engine: SessionEngine,
    name: str,
    payload: CommandPayload = None,
    timeout: float = COMMAND_TIMEOUT_S,
) -> None:
    """Run one command on the worker thread and wait for it (409 when refused or late)."""
    try:
        await asyncio.wait_for(asyncio.wrap_future(engine.submit(name, payload)), timeout)
    except CommandRejected as exc:  # a resume into other settings: a ResumeConflict
        raise conflict_for(exc) from None
    except TimeoutError:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"'{name}' did not complete within {timeout:g} s; check GET /api/session",
        ) from None
