"""The leader relay: beside the arm, read it and stream its calibrated joints to the server.

It needs only the base install's pyserial and websockets (no MuJoCo, no GPU libraries), so it
runs on the operator's laptop (Linux, macOS, Windows). It reconnects by itself: a server
restart or a network drop costs the samples of that moment, and the server holds the arm
meanwhile. A refused token or an unverifiable certificate does not fix itself: the relay
stops and says what to change.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from leisaac_core.teleop.base import DeviceError
from leisaac_core.teleop.input_timing import ClockOffset
from leisaac_core.teleop.remote_leader.wire import (
    PATH,
    clock_message,
    ping_message,
    sample_message,
)

log = logging.getLogger("leisaac.relay")

PING_EVERY_S = 1.0
BACKOFF_MIN_S = 0.25
BACKOFF_MAX_S = 5.0
REPORT_EVERY_S = 10.0


class RelayFatal(RuntimeError):
    """A failure that retrying cannot fix (a refused token, an untrusted certificate)."""


@dataclass(frozen=True)
class RelayOptions:
    server: str  # http(s)://host:port of the dashboard
    arm: str = "leader"
    token: str | None = None
    hz: float = 100.0  # samples per second; 0: as fast as the bus answers
    cafile: Path | None = None  # trust this certificate (a self-signed server)
    insecure: bool = False  # do not verify the server's certificate at all


def relay_url(server: str, arm: str) -> str:
    """ws(s)://host:port/ws/leader?id=ARM for the dashboard at http(s)://host:port."""
    parts = urllib.parse.urlsplit(server if "://" in server else f"http://{server}")
    schemes = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"--server must look like https://host:8000, not {server!r}")
    query = urllib.parse.urlencode({"id": arm})
    return urllib.parse.urlunsplit((schemes[parts.scheme], parts.netloc, PATH, query, ""))


def client_ssl(url: str, cafile: Path | None, insecure: bool) -> ssl.SSLContext | None:
    """None for ws://; for wss:// the system's trust store, plus `cafile`; or no checks at
    all when `insecure` (said out loud by the caller)."""
    if not url.startswith("wss://"):
        return None
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=str(cafile) if cafile else None)


class LeaderRelay:
    """Streams `read()` (normalized joints; raises DeviceError when the arm fails) to the
    server at `options.hz`, until `stop` is set."""

    def __init__(
        self,
        read: Callable[[], np.ndarray],
        options: RelayOptions,
        say: Callable[[str], None] = print,
    ) -> None:
        self.read = read
        self.options = options
        self.say = say
        self.url = relay_url(options.server, options.arm)
        self.ssl = client_ssl(self.url, options.cafile, options.insecure)
        self.clock = ClockOffset()
        self.seq = 0
        self.connections = 0

    def run(self, stop: threading.Event) -> None:
        backoff = BACKOFF_MIN_S
        while not stop.is_set():
            try:
                with self._connect() as ws:
                    self.connections += 1
                    self.say(f"connected to {self.url}; streaming arm '{self.options.arm}'")
                    backoff = BACKOFF_MIN_S
                    self._stream(ws, stop)
            except RelayFatal:
                raise
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                self.say(f"connection to {self.url} lost or refused ({_why(exc)}); retrying")
            if not stop.wait(backoff):
                backoff = min(BACKOFF_MAX_S, backoff * 2)

    def _connect(self) -> ClientConnection:
        headers = {"Authorization": f"Bearer {self.options.token}"} if self.options.token else {}
        try:
            return connect(
                self.url,
                additional_headers=headers,
                ssl=self.ssl,
                open_timeout=5,
                compression=None,  # tiny messages: deflate costs time and saves nothing
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise RelayFatal(
                    f"the server refused the relay (HTTP {status}): give the server's token "
                    "with --token or $LEISAAC_TOKEN"
                ) from None
            raise OSError(f"HTTP {status} from the server") from None
        except ssl.SSLCertVerificationError as exc:
            raise RelayFatal(
                f"cannot verify the server's certificate ({exc.verify_message}): pass its "
                "certificate with --cafile, or --insecure to skip the check"
            ) from None
        except InvalidURI as exc:
            raise RelayFatal(str(exc)) from None

    def _stream(self, ws: ClientConnection, stop: threading.Event) -> None:
        """Send samples at the rate until the connection fails; a receiver thread answers
        the clock."""
        closed = threading.Event()
        receiver = threading.Thread(
            target=self._receive, args=(ws, closed), name="relay-receiver", daemon=True
        )
        receiver.start()
        period = 1.0 / self.options.hz if self.options.hz > 0 else 0.0
        next_sample = next_ping = window_start = time.monotonic()
        sent_in_window = 0
        arm_fault = ""
        try:
            while not stop.is_set() and not closed.is_set():
                now = time.monotonic()
                if now >= next_ping:
                    ws.send(ping_message(time.time()))
                    next_ping = now + PING_EVERY_S
                try:
                    positions = self.read()
                except DeviceError as exc:  # the server holds the arm meanwhile
                    if str(exc) != arm_fault:
                        arm_fault = str(exc)
                        self.say(f"arm: {arm_fault}")
                    stop.wait(0.1)
                    continue
                if arm_fault:
                    arm_fault = ""
                    self.say("arm: reading again")
                self.seq += 1
                ws.send(sample_message(self.seq, time.time(), [float(v) for v in positions]))
                sent_in_window += 1
                if now >= window_start + REPORT_EVERY_S:
                    self._report(sent_in_window / (now - window_start))
                    window_start, sent_in_window = now, 0
                if period:
                    next_sample = max(next_sample + period, time.monotonic() - period)
                    stop.wait(max(0.0, next_sample - time.monotonic()))
        finally:
            ws.close()
            receiver.join(timeout=5)

    def _receive(self, ws: ClientConnection, closed: threading.Event) -> None:
        try:
            for text in ws:
                message = json.loads(text)
                if message.get("type") == "pong":
                    self.clock.add(float(message["t"]), float(message["server_time"]), time.time())
                    offset, rtt = self.clock.offset_s, self.clock.rtt_s
                    if offset is not None and rtt is not None:
                        ws.send(clock_message(offset, rtt))
                elif message.get("type") == "error":
                    self.say(f"server: {message.get('message')}")
        except (ConnectionClosed, OSError, ValueError, KeyError):
            pass
        finally:
            closed.set()

    def _report(self, rate: float) -> None:
        offset, rtt = self.clock.offset_s, self.clock.rtt_s
        clock = (
            f"round trip {rtt * 1e3:.1f} ms, clock offset {offset * 1e3:+.1f} ms"
            if offset is not None and rtt is not None
            else "clock not measured yet"
        )
        self.say(f"streaming {rate:.0f} samples/s; {clock}")


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
