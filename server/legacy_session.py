"""Flat session bodies of leisaac-dashboard 0.1 are refused with the nested body they mean.

Scripts written for 0.1 sent one flat object (`{"repo_id": ..., "fps": 30, "device":
"so101_leader", "device_port": ...}`). The session config nests now (env, devices, dataset,
episode, policy). Such a body gets a 422 whose `new_shape` is the same request in the new
shape, ready to send, so a script migrates by copying it; nothing is guessed silently.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# 0.1's flat fields -> (sub-config, field) in the nested body.
_MOVED: dict[str, tuple[str, str]] = {
    "task": ("env", "task"),
    "backend": ("env", "type"),
    "env_process": ("env", "hosted"),
    "fps": ("env", "fps"),
    "camera_width": ("env", "camera_width"),
    "camera_height": ("env", "camera_height"),
    "repo_id": ("dataset", "repo_id"),
    "root": ("dataset", "root"),
    "resume": ("dataset", "resume"),
    "video_codec": ("dataset", "video_codec"),
    "identity": ("dataset", "identity"),
    "keep_failures": ("dataset", "keep_failures"),
    "reward_features": ("dataset", "reward_features"),
    "push_every_episodes": ("dataset", "push_every_episodes"),
    "push_private": ("dataset", "push_private"),
    "episode_time_s": ("episode", "time_s"),
    "reset_time_s": ("episode", "reset_time_s"),
    "seed": ("episode", "seed"),
    "realtime": ("episode", "realtime"),
    "warmup_frames": ("episode", "warmup_frames"),
    "success_hold_ticks": ("episode", "success_hold_ticks"),
    "success_tail_ticks": ("episode", "success_tail_ticks"),
    "max_consecutive_failures": ("episode", "max_consecutive_failures"),
    "review": ("episode", "review"),
    "note": ("episode", "note"),
    "hands_free": ("episode", "hands_free"),
    "policy_url": ("policy", "url"),
}
_DEVICE_FIELDS = ("device", "device_port", "device_calibration")


def is_flat(body: object) -> bool:
    return isinstance(body, dict) and any(k in body for k in (*_MOVED, *_DEVICE_FIELDS))


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """The 0.1 flat body `flat` in today's shape (fields it does not know are kept as sent,
    so the 422 for them stays)."""
    body: dict[str, Any] = {}
    options = dict(flat.get("policy") or {})
    takeover = options.pop("takeover", "keyboard")
    for key, value in flat.items():
        if key in _MOVED:
            part, field = _MOVED[key]
            body.setdefault(part, {})[field] = value
        elif key not in (*_DEVICE_FIELDS, "policy"):
            body[key] = value
    device = flat.get("device", "scripted")
    if device == "policy":
        body["policy"] = {**options, **body.get("policy", {})}
        body["devices"] = [] if takeover == "none" else [_device(takeover, flat)]
    else:
        body["devices"] = [_device(device, flat)]
    return body


def _device(name: str, flat: dict[str, Any]) -> dict[str, Any]:
    device: dict[str, Any] = {"type": name}
    if name == "so101_leader":
        device["port"] = flat.get("device_port")
        if flat.get("device_calibration"):
            device["calibration_path"] = flat["device_calibration"]
    return device


async def flat_body_handler(request: Request, exc: Exception) -> JSONResponse:
    """A 422 for a 0.1 body on the session and fleet starts says so, with `new_shape`."""
    assert isinstance(exc, RequestValidationError)
    body, path = exc.body, request.url.path
    if request.method == "POST" and path == "/api/session" and is_flat(body):
        new_shape: dict[str, Any] = nested(body)
    elif request.method == "POST" and path == "/api/fleet" and is_flat(_session_of(body)):
        new_shape = {**body, "session": nested(body["session"])}
    else:
        return await request_validation_exception_handler(request, exc)
    return JSONResponse(
        {
            "detail": "this is the flat session body of leisaac-dashboard 0.1; the session "
            "config is nested now (env, devices, dataset, episode, policy: see /docs). Send "
            "new_shape, the same request in the new shape.",
            "new_shape": new_shape,
        },
        status_code=422,
    )


def _session_of(body: object) -> object:
    return body.get("session") if isinstance(body, dict) else None
