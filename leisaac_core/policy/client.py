"""A blocking OpenPI websocket client (one request at a time), used from one helper thread.

Speaks what `openpi_client.WebsocketClientPolicy` speaks: read the metadata map on
connect, send a msgpack observation, read a msgpack reply; a text reply is the server's
error message. Every failure is a `PolicyServerError` whose message names the server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from leisaac_core.policy.protocol import ProtocolError, packb, unpackb


class PolicyServerError(RuntimeError):
    """The policy server cannot be reached or answered something unusable."""


class PolicyServerUnreachable(PolicyServerError):
    """Nothing answered at the URL (refused, no route, no websocket handshake in time)."""


class PolicyClient:
    def __init__(self, url: str, connect_timeout_s: float = 5.0) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._ws: ClientConnection | None = None
        # The connection lives across calls; the stack closes it as `with connect()` would.
        self._stack = contextlib.ExitStack()
        self.metadata: Mapping[str, Any] = {}

    @property
    def connected(self) -> bool:
        return self._ws is not None

    def connect(self) -> Mapping[str, Any]:
        self.close()
        try:
            ws = self._stack.enter_context(
                connect(
                    self.url,
                    open_timeout=self.connect_timeout_s,
                    compression=None,
                    max_size=None,
                )
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            what = f"cannot connect ({exc or type(exc).__name__})"
            raise PolicyServerUnreachable(f"policy server {self.url}: {what}") from None
        try:
            metadata = unpackb(_binary(ws.recv(timeout=self.connect_timeout_s), self.url))
        except (ProtocolError, TimeoutError, WebSocketException, OSError) as exc:
            self._stack.close()
            raise self._error(f"bad metadata on connect ({exc or type(exc).__name__})") from None
        except PolicyServerError:
            self._stack.close()
            raise
        if not isinstance(metadata, Mapping):
            self._stack.close()
            raise self._error(f"bad metadata: expected a map, got {type(metadata).__name__}")
        self._ws = ws
        self.metadata = metadata
        return metadata

    def infer(self, observation: Mapping[str, Any], timeout_s: float) -> Mapping[str, Any]:
        if self._ws is None:
            self.connect()
        assert self._ws is not None
        try:
            self._ws.send(packb(dict(observation)))
            reply = self._ws.recv(timeout=timeout_s)
        except TimeoutError:
            self.close()
            raise self._error(f"no reply within {timeout_s:g} s (server too slow)") from None
        except (OSError, WebSocketException) as exc:
            self.close()
            raise self._error(f"connection lost ({exc or type(exc).__name__})") from None
        try:
            message = unpackb(_binary(reply, self.url))
        except PolicyServerError:
            self.close()
            raise
        except ProtocolError as exc:
            self.close()
            raise self._error(str(exc)) from None
        if not isinstance(message, Mapping):
            raise self._error(f"reply is a {type(message).__name__}, expected a map")
        return message

    def close(self) -> None:
        self._ws = None
        self._stack.close()

    def _error(self, what: str) -> PolicyServerError:
        return PolicyServerError(f"policy server {self.url}: {what}")


def _binary(message: str | bytes, url: str) -> bytes:
    if isinstance(message, str):
        raise PolicyServerError(f"policy server {url} reported an error: {message.strip()[:500]}")
    return message
