"""`create_app(settings)`: the FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import frontend
from leisaac_core import __version__
from leisaac_core.config import Settings
from leisaac_core.session import SessionEngine
from server.auth import require_token
from server.legacy_session import flat_body_handler
from server.live_view import LiveViews
from server.operations import Operations
from server.preview import PreviewEncoder
from server.resume_conflict import ResumeConflict, resume_conflict_handler
from server.routes import (
    auth,
    datasets,
    episode_table,
    fleet,
    health,
    leader,
    live,
    operations,
    options,
    pages,
    push,
    relay,
    replay,
    review,
    session,
    ws,
)
from server.stream import StreamHub, system_figures

log = logging.getLogger("leisaac.server")

FRONTEND_DIR = Path(frontend.__file__).parent
STATUS_HZ = 10.0


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = SessionEngine(
        settings.dataset_root, hub_credentials=lambda: (settings.hf_token, settings.hub_endpoint)
    )
    hub = StreamHub()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.loop = asyncio.get_running_loop()
        engine.add_listener(hub.event_from_thread)
        engine.start()
        preview = PreviewEncoder(
            engine,
            hub.frame_from_thread,
            hz=settings.preview_hz,
            width=settings.preview_width,
            quality=settings.preview_jpeg_quality,
        )
        preview.start()
        app.state.preview = preview
        status_task = asyncio.create_task(_publish_status(app))
        try:
            yield
        finally:
            status_task.cancel()
            await app.state.live_views.close_all()
            preview.stop()
            # Stopping discards the episode under way and waits for commits in flight.
            await run_in_threadpool(engine.shutdown)
            await run_in_threadpool(app.state.fleet.shutdown)

    app = FastAPI(
        title="LeIsaac recording dashboard",
        version=__version__,
        description="Record SO-101 demonstrations into LeRobot v3 datasets. "
        "Every route except /api/health and /api/auth/* needs the token when the server has one.",
        lifespan=lifespan,
    )
    app.add_exception_handler(ResumeConflict, resume_conflict_handler)
    app.add_exception_handler(RequestValidationError, flat_body_handler)
    app.state.settings = settings
    app.state.engine = engine
    app.state.hub = hub
    app.state.leader_calibration = leader.CalibrationSlot()
    app.state.push = push.PushSlot()
    app.state.fleet = fleet.FleetSlot()
    app.state.operations = Operations(hub)
    app.state.live_views = LiveViews(
        engine, settings.webrtc_ice_servers, loopback_only=settings.webrtc_loopback_only
    )
    app.state.templates = Jinja2Templates(directory=FRONTEND_DIR / "templates")

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    protected = [Depends(require_token)]
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(ws.router)
    app.include_router(relay.router)  # checks the token itself, as /ws does
    app.include_router(session.router, dependencies=protected)
    app.include_router(review.router, dependencies=protected)
    app.include_router(options.router, dependencies=protected)
    app.include_router(datasets.router, dependencies=protected)
    app.include_router(replay.router, dependencies=protected)
    app.include_router(episode_table.router, dependencies=protected)
    app.include_router(leader.router, dependencies=protected)
    app.include_router(push.router, dependencies=protected)
    app.include_router(fleet.router, dependencies=protected)
    app.include_router(operations.router, dependencies=protected)
    app.include_router(live.router, dependencies=protected)
    app.mount("/static", StaticFiles(directory=FRONTEND_DIR / "static"), name="static")
    return app


async def _publish_status(app: FastAPI) -> None:
    """Status at STATUS_HZ to every client; machine figures refreshed once a second."""
    engine, hub, settings = app.state.engine, app.state.hub, app.state.settings
    system: dict[str, float] = {}
    ticks = 0
    while True:
        if ticks % int(STATUS_HZ) == 0:
            system = await run_in_threadpool(
                system_figures, _existing_parent(settings.dataset_root)
            )
        ticks += 1
        if hub.clients:
            message = json.dumps(
                {
                    "type": "status",
                    "snapshot": engine.snapshot.to_dict(),
                    "system": system,
                    "preview": {
                        "hz": settings.preview_hz,
                        "frames_encoded": app.state.preview.frames_encoded,
                    },
                },
                default=str,
            )
            hub.broadcast_status(message)
        await asyncio.sleep(1.0 / STATUS_HZ)


def _existing_parent(path: Path) -> str:
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return str(path)
