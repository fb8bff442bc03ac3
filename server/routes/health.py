"""Liveness for Docker health checks and load balancers. Open without a token: it reveals
nothing but that the server answers."""

from __future__ import annotations

from fastapi import APIRouter

from leisaac_core import __version__
from server.models import HealthOut

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health() -> HealthOut:
    return HealthOut(status="ok", version=__version__)
