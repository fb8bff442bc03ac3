"""WebSocket `/ws/leader?id=ARM`: a leader relay streams an arm's samples to the server.

The token is required as for every other route (Authorization: Bearer); without it the
handshake is refused (HTTP 403). Samples go into the arm's inbox, where the remote-leader
device takes the newest each tick; pings are answered with the server's clock so the relay
can estimate its offset. A bad message is answered with an error and the relay stays.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from leisaac_core.teleop.remote_leader.inbox import leader_inbox
from leisaac_core.teleop.remote_leader.wire import (
    PATH,
    ClockReport,
    Ping,
    Sample,
    WireError,
    parse_relay_message,
    pong_message,
)
from server.auth import websocket_allowed

log = logging.getLogger("leisaac.relay")
router = APIRouter()

# Close codes a relay reads (4000-4999 are the application's).
CLOSE_UNAUTHORIZED = 4401
CLOSE_REPLACED = 4409
CLOSE_BAD_ARM = 4422


@router.websocket(PATH)
async def leader_relay(websocket: WebSocket, arm: str = Query("leader", alias="id")) -> None:
    if not websocket_allowed(websocket):
        # Closing before accepting refuses the handshake: the relay sees HTTP 403.
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="token required")
        return
    if not arm or len(arm) > 64 or not all(c.isalnum() or c in "_.-" for c in arm):
        await websocket.close(code=CLOSE_BAD_ARM, reason="arm id: letters, digits, _ . -")
        return
    await websocket.accept()
    inbox = leader_inbox(arm)
    client = websocket.client
    peer = f"{client.host}:{client.port}" if client else "?"
    connection = inbox.attach(peer)
    log.info("leader relay for arm %r connected from %s", arm, peer)
    await websocket.send_text(json.dumps({"type": "welcome", "arm": arm}))
    try:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                text = await websocket.receive_text()
                if not inbox.is_current(connection):
                    await websocket.close(
                        code=CLOSE_REPLACED, reason="a newer relay connection took this arm"
                    )
                    return
                try:
                    message = parse_relay_message(text)
                except WireError as exc:
                    await websocket.send_text(json.dumps({"type": "error", "message": str(exc)}))
                    continue
                if isinstance(message, Sample):
                    inbox.put(connection, message.seq, message.sent_at, message.positions)
                elif isinstance(message, Ping):
                    await websocket.send_text(pong_message(message, time.time()))
                elif isinstance(message, ClockReport):
                    inbox.set_clock(connection, message.offset_s, message.rtt_s)
    finally:
        inbox.detach(connection)
        log.info("leader relay for arm %r (%s) disconnected", arm, peer)
