"""Liveness for Docker health checks and load balancers. Open without a token: it reveals
nothing but that the server answers."""

from __future__ import annotations

from fastapi import APIRouter

from leisaac_core import __version__

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
