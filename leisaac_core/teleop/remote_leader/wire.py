"""What a leader relay and the server say to each other on `/ws/leader` (JSON text frames).

Relay -> server:
    {"type": "sample", "seq": 17, "t": 1712345678.123, "pos": [6 normalized joints]}
    {"type": "ping", "t": <relay clock>}
    {"type": "clock", "offset_s": <server - relay>, "rtt_s": ...}
Server -> relay:
    {"type": "welcome", "arm": "leader", "stale_after_ms": ...}
    {"type": "pong", "t": <the ping's t>, "server_time": <server clock>}

`t` is the relay's wall clock (time.time()) right after the bus read; the relay estimates
its offset from the server's clock from ping/pong round trips and reports it, so the server
can tell each sample's age in its own clock. Plain stdlib: the relay imports this too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from leisaac_core.so101 import JOINTS

PATH = "/ws/leader"


class WireError(ValueError):
    """A message the other side cannot have meant; the text says what is wrong."""


@dataclass(frozen=True)
class Sample:
    seq: int
    sent_at: float  # relay clock, s
    positions: tuple[float, ...]  # normalized, joint order of leisaac_core.so101.JOINTS


@dataclass(frozen=True)
class Ping:
    sent_at: float


@dataclass(frozen=True)
class ClockReport:
    offset_s: float
    rtt_s: float


Message = Sample | Ping | ClockReport


def sample_message(seq: int, sent_at: float, positions: list[float]) -> str:
    return json.dumps({"type": "sample", "seq": seq, "t": sent_at, "pos": positions})


def ping_message(sent_at: float) -> str:
    return json.dumps({"type": "ping", "t": sent_at})


def clock_message(offset_s: float, rtt_s: float) -> str:
    return json.dumps({"type": "clock", "offset_s": offset_s, "rtt_s": rtt_s})


def pong_message(ping: Ping, server_time: float) -> str:
    return json.dumps({"type": "pong", "t": ping.sent_at, "server_time": server_time})


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise WireError(f"'{what}' must be a finite number, got {value!r}")
    return float(value)


def _number(data: dict, key: str) -> float:
    return _finite(data.get(key), key)


def parse_relay_message(text: str | bytes) -> Message:
    """One relay message, checked; WireError says what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("send JSON objects with a 'type' field")
    kind = data.get("type")
    if kind == "sample":
        seq = data.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise WireError("'seq' must be an integer")
        pos = data.get("pos")
        if not isinstance(pos, list) or len(pos) != len(JOINTS):
            raise WireError(f"'pos' must list {len(JOINTS)} joints ({', '.join(JOINTS)})")
        values = tuple(_finite(v, "pos") for v in pos)
        return Sample(seq, _number(data, "t"), values)
    if kind == "ping":
        return Ping(_number(data, "t"))
    if kind == "clock":
        return ClockReport(_number(data, "offset_s"), _number(data, "rtt_s"))
    raise WireError(f"unknown message type {kind!r}; a relay sends sample, ping or clock")
