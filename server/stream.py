"""Fan-out of status, events and preview frames to websocket clients.

Each client has latest-wins slots for status and for each camera, plus an ordered, bounded
event queue; one sender task per client drains them. A slow client therefore skips frames
and status updates but never holds the loop, the encoder or the other clients. Events are
never skipped; a client so far behind that its event queue overflows is disconnected and
re-syncs on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any

import psutil
from fastapi import WebSocket

from leisaac_core.session import Event

log = logging.getLogger("leisaac.stream")

EVENT_QUEUE_LIMIT = 1000


class Client:
    _ids = itertools.count(1)

    def __init__(self, websocket: WebSocket) -> None:
        self.id = next(self._ids)
        self.websocket = websocket
        self.events: asyncio.Queue[str] = asyncio.Queue(maxsize=EVENT_QUEUE_LIMIT)
        self.status: str | None = None
        self.frames: dict[str, bytes] = {}
        self.wake = asyncio.Event()
        self.overflowed = False
        self.frames_sent = 0
        self.frames_skipped = 0

    def offer_frame(self, camera: str, message: bytes) -> None:
        if camera in self.frames:
            self.frames_skipped += 1
        self.frames[camera] = message
        self.wake.set()

    def offer_status(self, message: str) -> None:
        self.status = message
        self.wake.set()

    def offer_event(self, message: str) -> None:
        try:
            self.events.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
        self.wake.set()

    async def run_sender(self) -> None:
        ws = self.websocket
        while not self.overflowed:
            await self.wake.wait()
            self.wake.clear()
            while not self.events.empty():
                await ws.send_text(self.events.get_nowait())
            if self.status is not None:
                status, self.status = self.status, None
                await ws.send_text(status)
            while self.frames:
                camera = next(iter(self.frames))
                await ws.send_bytes(self.frames.pop(camera))
                self.frames_sent += 1
        log.warning("client %d fell too far behind; disconnecting it", self.id)


class StreamHub:
    """Lives on the event loop; other threads reach it only via call_soon_threadsafe."""

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}
        self.control_owner: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- called from other threads -----------------------------------------------------
    def frame_from_thread(self, camera: str, message: bytes) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._broadcast_frame, camera, message)

    def event_from_thread(self, event: Event) -> None:
        if self.loop is not None and not self.loop.is_closed():
            text = json.dumps({"type": "event", **event.to_dict()}, default=str)
            self.loop.call_soon_threadsafe(self._broadcast_event, text)

    def message_from_any_thread(self, text: str) -> None:
        """An ordered message (like an event) for every client, from the event loop or any
        other thread."""
        if self.loop is None or self.loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._broadcast_event(text)
        else:
            self.loop.call_soon_threadsafe(self._broadcast_event, text)

    # -- on the loop ----------------------------------------------------------------------
    def _broadcast_frame(self, camera: str, message: bytes) -> None:
        for client in self.clients.values():
            client.offer_frame(camera, message)

    def _broadcast_event(self, text: str) -> None:
        for client in self.clients.values():
            client.offer_event(text)

    def broadcast_status(self, text: str) -> None:
        for client in self.clients.values():
            client.offer_status(text)

    def add(self, client: Client) -> None:
        self.clients[client.id] = client

    def remove(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        if self.control_owner == client.id:
            self.control_owner = None

    def control_info(self, client: Client) -> dict[str, Any]:
        return {
            "type": "control",
            "client_id": client.id,
            "owner": self.control_owner,
            "you_have_control": self.control_owner == client.id,
            "clients": len(self.clients),
        }


def system_figures(path: str) -> dict[str, float]:
    """Machine health shown next to loop health: CPU, memory and free disk at the dataset root."""
    figures: dict[str, float] = {
        "cpu_percent": psutil.cpu_percent(interval=None),
        "memory_percent": psutil.virtual_memory().percent,
    }
    with contextlib.suppress(OSError):
        usage = psutil.disk_usage(path)
        figures["disk_free_bytes"] = float(usage.free)
        figures["disk_free_percent"] = 100.0 - usage.percent
    return figures
