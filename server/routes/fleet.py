"""REST for a fleet run: start N Ray workers recording into one dataset, watch, stop.

One fleet at a time runs in a background thread of the server (the Ray driver); the page
polls `GET /api/fleet`. The server's own session engine is not involved.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from leisaac_core.dataset import DatasetExistsError, dataset_dir, layout
from leisaac_core.fleet import FleetConfig
from server.deps import SettingsDep, refuse_while_session_runs
from server.models import FleetView, binary_responses
from server.policy_access import with_allowed_policy_url
from server.resume_conflict import ResumeConflictOut, exists_conflict

if TYPE_CHECKING:  # imported when a run starts: the run module needs Ray only then
    from leisaac_core.fleet.run import FleetRun

router = APIRouter(prefix="/api/fleet", tags=["fleet"])

EVENTS_KEPT = 200


class FleetSlot:
    """The fleet run in progress or the last one (lives in app.state.fleet)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.run: FleetRun | None = None
        self.thread: threading.Thread | None = None
        self.events: deque[str] = deque(maxlen=EVENTS_KEPT)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def shutdown(self, timeout: float = 120.0) -> None:
        """Stop a run under way (server shutdown): its workers end, committed episodes stay."""
        if self.running and self.run is not None and self.thread is not None:
            self.run.stop()
            self.thread.join(timeout)

    def view(self) -> FleetView:
        if self.run is None:
            return FleetView(running=False, state="idle", workers=[], events=[])
        return FleetView.model_validate(
            {**self.run.status.to_dict(), "running": self.running, "events": list(self.events)}
        )


def _slot(request: Request) -> FleetSlot:
    return request.app.state.fleet


# Before the first run the view has only running, state, workers and events.
@router.get(
    "", summary="The fleet run in progress (or the last one)", response_model_exclude_unset=True
)
async def get_fleet(request: Request) -> FleetView:
    return _slot(request).view()


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Start a fleet run",
    response_model_exclude_unset=True,
    dependencies=[Depends(refuse_while_session_runs)],
    responses={
        409: {
            "model": ResumeConflictOut,
            "description": "refused: a fleet run or a session runs, or the dataset exists "
            "without 'session.dataset.resume' (with 'exists')",
        }
    },
)
async def start_fleet(config: FleetConfig, request: Request, settings: SettingsDep) -> FleetView:
    from leisaac_core.fleet.run import FleetRun, ray_installed

    if config.session.dataset.root is not None:
        raise HTTPException(
            422,
            detail="'session.dataset.root' cannot be set over the API: datasets live under the "
            f"server's dataset root ({settings.dataset_root}); choose it with "
            "'session.dataset.repo_id'",
        )
    config = config.model_copy(
        update={"session": with_allowed_policy_url(config.session, settings)}
    )
    if not ray_installed():
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="the fleet needs Ray on the server: pip install 'leisaac-dashboard[fleet]'",
        )
    dataset = config.session.dataset
    target = dataset_dir(settings.dataset_root, dataset.repo_id)
    if layout.is_dataset(target) and not dataset.resume:
        exists = DatasetExistsError("", repo_id=dataset.repo_id, path=target)
        raise exists_conflict(exists, resume_field="session.dataset.resume")
    slot = _slot(request)
    with slot.lock:
        if slot.running:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="a fleet run is under way; stop it first"
            )
        slot.events.clear()
        run = FleetRun(config, settings.dataset_root, on_event=slot.events.append)
        slot.run = run
        slot.thread = threading.Thread(target=run.run, name="fleet-coordinator", daemon=True)
        slot.thread.start()
    return slot.view()


@router.post(
    "/stop",
    summary="Stop the fleet run (episodes under way are lost)",
    response_model_exclude_unset=True,
)
async def stop_fleet(request: Request) -> FleetView:
    slot = _slot(request)
    if not slot.running or slot.run is None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="no fleet run is under way")
    slot.run.stop()
    return slot.view()


@router.get(
    "/workers/{name}/thumbnail",
    summary="The newest camera frame of a worker as a small JPEG (204 when it has none yet)",
    response_class=Response,
    responses=binary_responses(
        "image/jpeg", "the newest frame as a JPEG", no_content="the worker has no frame yet"
    ),
)
async def worker_thumbnail(name: str, request: Request, camera: str | None = None) -> Response:
    slot = _slot(request)
    if slot.run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no fleet run yet")
    try:
        jpeg = await run_in_threadpool(slot.run.thumbnail, name, camera)
    except KeyError:
        names = [w.name for w in slot.run.status.workers]
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no worker {name!r}; the run has {names}"
        ) from None
    if jpeg is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
