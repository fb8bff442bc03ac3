"""An OpenPI-protocol websocket policy server (the servers we ship run on it).

Per connection: the metadata map first, then one reply per observation. A request that
fails is answered with a text frame holding the error (what `openpi-client` expects) and
the connection is closed. Inference runs in a worker thread, so a slow model never stalls
other connections. `GET /healthz` answers 200 for load balancers, as OpenPI's server does.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from leisaac_core.policy.base import PolicyFactory
from leisaac_core.policy.protocol import packb, unpackb

log = logging.getLogger("leisaac.policy.server")


class PolicyServer:
    def __init__(self, factory: PolicyFactory, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.factory = factory
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    # ---- running ------------------------------------------------------------------------
    def serve_forever(self) -> None:
        asyncio.run(self._main(forever=True))

    def start(self) -> PolicyServer:
        """Serve on a background thread (tests, benches); returns once it listens."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main(forever=False)), name="policy-server", daemon=True
        )
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(10)

    async def _main(self, forever: bool) -> None:
        try:
            self._server = await serve(
                self._handle,
                self.host,
                self.port,
                compression=None,
                max_size=None,
                process_request=_health_check,
            )
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self._loop = asyncio.get_running_loop()
        self.port = self._server.sockets[0].getsockname()[1] if self.port == 0 else self.port
        self._ready.set()
        log.info("policy server listening on %s", self.url)
        await self._server.wait_closed()

    # ---- one client -----------------------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        policy = self.factory()
        await ws.send(packb(dict(policy.metadata)))
        previous_total_ms: float | None = None
        while True:
            try:
                message = await ws.recv()
            except ConnectionClosed:
                return
            start = time.monotonic()
            try:
                if isinstance(message, str):
                    raise ValueError("expected a binary msgpack observation, got text")
                observation = unpackb(message)
                if not isinstance(observation, dict):
                    raise ValueError("the observation must be a msgpack map")
                t0 = time.monotonic()
                result: dict[str, Any] = dict(await asyncio.to_thread(policy.infer, observation))
                timing = {"infer_ms": (time.monotonic() - t0) * 1000}
                if previous_total_ms is not None:
                    timing["prev_total_ms"] = previous_total_ms
                result["server_timing"] = timing
                await ws.send(packb(result))
            except ConnectionClosed:
                return
            except Exception as exc:
                log.warning("policy request failed: %s", exc, exc_info=True)
                try:
                    await ws.send(f"policy server error: {type(exc).__name__}: {exc}")
                    await ws.close(1011, "policy error")
                except ConnectionClosed:
                    pass
                return
            previous_total_ms = (time.monotonic() - start) * 1000


def _health_check(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "OK\n")
    return None
