"""WebSocket `/ws`: status (>= 10 Hz), every event, binary JPEG thumbnails; commands and
browser teleop input from the client that holds control."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from leisaac_core.session import CommandRejected, SessionEngine
from server.auth import websocket_allowed
from server.stream import Client, StreamHub

log = logging.getLogger("leisaac.ws")
router = APIRouter()

# Commands a browser may send over the socket (the same ones REST offers, minus start).
SOCKET_COMMANDS = {"stop", "success", "failure", "rerecord", "reset"}


@router.websocket("/ws")
async def websocket_stream(websocket: WebSocket) -> None:
    if not websocket_allowed(websocket):
        await websocket.close(code=4401, reason="token required: log in first")
        return
    await websocket.accept()
    app = websocket.app
    hub, engine = app.state.hub, app.state.engine
    client = Client(websocket)
    hub.add(client)
    await websocket.send_text(
        json.dumps(
            {
                "type": "hello",
                "client_id": client.id,
                "snapshot": engine.snapshot.to_dict(),
                "events": [e.to_dict() for e in engine.events_since(0)[-50:]],
                "push": app.state.push.status,
            },
            default=str,
        )
    )
    await _broadcast_control(hub)
    sender = asyncio.create_task(client.run_sender())
    receiver = asyncio.create_task(_receive(websocket, client))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(sender, receiver, return_exceptions=True)
        hub.remove(client)
        await _broadcast_control(hub)
        with contextlib.suppress(Exception):
            await websocket.close()


async def _receive(websocket: WebSocket, client: Client) -> None:
    hub, engine = websocket.app.state.hub, websocket.app.state.engine
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            try:
                message = json.loads(text)
                kind = message["type"]
            except (ValueError, KeyError, TypeError):
                await _reply(
                    client, {"type": "error", "message": "send JSON objects with a 'type' field"}
                )
                continue
            if kind == "ping":
                # The server's clock (ms), so the page estimates its offset as a relay does.
                pong = {"type": "pong", "t": message.get("t"), "server_time": time.time() * 1e3}
                await _reply(client, pong)
            elif kind == "command":
                await _command(client, engine, message.get("name"))
            elif kind == "take_control":
                hub.control_owner = client.id
                await _broadcast_control(hub)
            elif kind == "release_control":
                if hub.control_owner == client.id:
                    hub.control_owner = None
                await _broadcast_control(hub)
            elif kind == "input":
                if hub.control_owner != client.id:
                    await _reply(
                        client, {"type": "error", "message": "take control before driving the arm"}
                    )
                    continue
                payload = {k: v for k, v in message.items() if k != "type"}
                payload["received_at"] = time.time() * 1e3  # its age starts at sent_at
                engine.submit("input", payload)
            else:
                await _reply(client, {"type": "error", "message": f"unknown message type {kind!r}"})


async def _command(client: Client, engine: SessionEngine, name: object) -> None:
    if name not in SOCKET_COMMANDS:
        await _reply(
            client,
            {
                "type": "command_result",
                "name": name,
                "ok": False,
                "error": f"unknown command; use one of {sorted(SOCKET_COMMANDS)}",
            },
        )
        return
    try:
        await asyncio.wait_for(asyncio.wrap_future(engine.submit(name)), timeout=60)
    except CommandRejected as exc:
        await _reply(
            client, {"type": "command_result", "name": name, "ok": False, "error": str(exc)}
        )
    else:
        await _reply(client, {"type": "command_result", "name": name, "ok": True})


async def _reply(client: Client, message: Mapping[str, object]) -> None:
    client.offer_event(json.dumps(message, default=str))


async def _broadcast_control(hub: StreamHub) -> None:
    for other in list(hub.clients.values()):
        other.offer_event(json.dumps(hub.control_info(other)))
