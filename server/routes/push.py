"""Publishing to the Hugging Face Hub from the page or a script.

One push at a time runs in a background thread; progress, the result URL and errors reach
the page as websocket events (`push_started`, `push_progress`, `push_finished`,
`push_failed`). The push uploads a snapshot of committed episodes only, so it never waits on
or races with a recording session. The token stays on the server: it can be set here but no
route returns it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field, SecretStr, field_validator

from leisaac_core.config import Settings
from leisaac_core.dataset import dataset_dir
from leisaac_core.hub import HubError, PushProgress, push_dataset, resolve_token
from leisaac_core.session import EventKind, SessionEngine
from server.deps import EngineDep, SettingsDep
from server.models import HubTokenStatus, PushStatus

router = APIRouter(tags=["hub"])

PROGRESS_EVENTS_PER_S = 10.0


class TokenRequest(BaseModel):
    token: str = Field(..., min_length=8, max_length=512)


class PushRequest(BaseModel):
    repo_id: str | None = Field(None, description="Hub repo id; default: the local dataset's id")
    private: bool = False
    tags: list[str] = Field(default_factory=list, max_length=20)
    license: str = Field("apache-2.0", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9.+-]+$")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not tag or len(tag) > 64 or not all(c.isalnum() or c in "-_.:" for c in tag):
                raise ValueError(f"tag {tag!r}: use 1-64 letters, digits, '-', '_', '.' or ':'")
        return tags


class PushSlot:
    """The push in progress or the last one (lives in app.state.push)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.status: dict[str, Any] = {"running": False}


def _token_source(settings: Settings) -> str | None:
    if settings.hf_token is not None:
        return "dashboard"
    try:
        return resolve_token().source
    except HubError:
        return None


@router.get("/api/hub/token", summary="Whether a Hugging Face token is available (never the token)")
async def get_token_status(settings: SettingsDep) -> HubTokenStatus:
    source = _token_source(settings)
    return HubTokenStatus(configured=source is not None, source=source)


@router.put("/api/hub/token", summary="Keep a Hugging Face token on the server for pushes")
async def set_token(body: TokenRequest, settings: SettingsDep) -> HubTokenStatus:
    settings.hf_token = SecretStr(body.token.strip())
    return HubTokenStatus(configured=True, source="dashboard")


@router.delete("/api/hub/token", summary="Forget the token entered on the dashboard")
async def forget_token(settings: SettingsDep) -> HubTokenStatus:
    settings.hf_token = None
    source = _token_source(settings)
    return HubTokenStatus(configured=source is not None, source=source)


@router.get(
    "/api/push",
    summary="The push in progress, or the last one",
    response_model_exclude_unset=True,  # before the first push: only "running"
)
async def get_push(request: Request) -> PushStatus:
    return PushStatus.model_validate(request.app.state.push.status)


@router.post(
    "/api/datasets/{namespace}/{name}/push",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Push a local dataset to the Hub (progress over the websocket)",
    response_model_exclude_unset=True,
)
async def start_push(
    namespace: str,
    name: str,
    body: PushRequest,
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
) -> PushStatus:
    try:
        local = dataset_dir(settings.dataset_root, f"{namespace}/{name}")
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if not (local / "meta" / "info.json").is_file():
        raise HTTPException(
            404, detail=f"no dataset {namespace}/{name} under {settings.dataset_root}"
        )
    target = body.repo_id or f"{namespace}/{name}"
    try:
        dataset_dir(settings.dataset_root, target)  # same rules as local ids: no path tricks
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if _token_source(settings) is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="no Hugging Face token: enter one in the push panel, set HF_TOKEN or run `hf auth login`",
        )
    slot: PushSlot = request.app.state.push
    with slot.lock:
        if slot.thread is not None and slot.thread.is_alive():
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="a push is already running; wait for it to finish"
            )
        slot.status = {
            "running": True,
            "repo_id": target,
            "dataset": f"{namespace}/{name}",
            "progress": None,
        }
        slot.thread = threading.Thread(
            target=_run_push,
            args=(slot, engine, local, target, body, settings.hf_token, settings.hub_endpoint),
            name="hub-push",
            daemon=True,
        )
        slot.thread.start()
    return PushStatus.model_validate(slot.status)


def _run_push(
    slot: PushSlot,
    engine: SessionEngine,
    local: Path,
    repo_id: str,
    body: PushRequest,
    token: SecretStr | None,
    endpoint: str | None,
) -> None:
    engine.emit(
        EventKind.PUSH_STARTED,
        f"pushing {local.parent.name}/{local.name} to {repo_id}",
        repo_id=repo_id,
    )
    last = 0.0

    def progress(p: PushProgress) -> None:
        nonlocal last
        now = time.monotonic()
        figures = dataclasses.asdict(p)
        slot.status = {**slot.status, "progress": figures}
        if p.phase in ("done", "tagging") or now - last >= 1.0 / PROGRESS_EVENTS_PER_S:
            last = now
            engine.emit(
                EventKind.PUSH_PROGRESS,
                f"{p.phase}: {p.files_done}/{p.files_total} files",
                **figures,
            )

    try:
        result = push_dataset(
            local,
            repo_id,
            token=token,
            private=body.private,
            tags=body.tags,
            license=body.license,
            progress=progress,
            endpoint=endpoint,
        )
    except HubError as exc:
        slot.status = {**slot.status, "running": False, "error": str(exc)}
        engine.emit(EventKind.PUSH_FAILED, f"push to {repo_id} failed: {exc}", repo_id=repo_id)
    except Exception as exc:  # never let a push thread die silently
        slot.status = {**slot.status, "running": False, "error": f"unexpected error: {exc}"}
        engine.emit(EventKind.PUSH_FAILED, f"push to {repo_id} failed: {exc}", repo_id=repo_id)
    else:
        figures = dataclasses.asdict(result)
        slot.status = {**slot.status, "running": False, "result": figures}
        engine.emit(EventKind.PUSH_FINISHED, f"pushed to {result.url}", repo_id=repo_id, **figures)
