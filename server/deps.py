"""FastAPI dependencies: the one Settings object and the one session engine."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leisaac_core.config import Settings
from leisaac_core.session import SessionEngine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> SessionEngine:
    return request.app.state.engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[SessionEngine, Depends(get_engine)]
