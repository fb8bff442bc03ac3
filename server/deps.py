"""FastAPI dependencies: the one Settings object, the one session engine, the long
operations under way, and the rule that one recorder runs at a time (a session and a fleet
run each take every core and may write the same dataset, so each refuses to start while the
other runs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from leisaac_core.config import Settings
from leisaac_core.session import SessionEngine
from server.operations import Operations


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> SessionEngine:
    return request.app.state.engine


def get_operations(request: Request) -> Operations:
    return request.app.state.operations


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[SessionEngine, Depends(get_engine)]
OperationsDep = Annotated[Operations, Depends(get_operations)]


def fleet_running(request: Request) -> bool:
    """Whether a fleet run is under way (app.state.fleet is the fleet routes' FleetSlot)."""
    return bool(request.app.state.fleet.running)


def refuse_while_fleet_runs(request: Request) -> None:
    """409 for a session start (or a replay) while a fleet run records."""
    if fleet_running(request):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="a fleet run is recording on this server; stop it before starting a session "
            "or a replay (they would compete for the same cores)",
        )


def refuse_while_session_runs(engine: EngineDep) -> None:
    """409 for a fleet start while a session records."""
    if engine.snapshot.phase != "idle":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"a session is recording into {engine.snapshot.repo_id} on this server; stop "
            "it before starting a fleet run (they would compete for the same cores)",
        )
