"""Where a leader relay's samples wait for the loop: latest wins.

The server's relay route (asyncio) puts samples in; the remote-leader device (worker
thread) takes the newest one each tick. A relay is found by its arm id, as a serial leader
is found by its port: `leader_inbox("leader")` is the same inbox for the route and the
device, whichever comes first. One relay connection feeds an arm at a time: a newer one
(the relay reconnecting before the server noticed the old socket die) replaces it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArrivedSample:
    seq: int
    positions: np.ndarray  # float32, normalized joints
    sent_at: float  # relay clock
    received_at: float  # server clock (time.time())
    received_mono: float  # time.monotonic(): how long ago, immune to clock steps
    clock_offset_s: float | None  # server - relay, the relay's estimate at arrival
    connection: int


class LeaderInbox:
    def __init__(self, arm: str) -> None:
        self.arm = arm
        self._lock = threading.Lock()
        self._latest: ArrivedSample | None = None
        self._connection = 0  # the current relay connection's number; 0: none yet
        self._connected = False
        self._clock: tuple[float, float] | None = None  # (offset_s, rtt_s)
        self.peer = ""
        self.samples = 0

    # ---- the relay route ---------------------------------------------------------------
    def attach(self, peer: str) -> int:
        """A relay connected: its connection number (older connections stop counting)."""
        with self._lock:
            self._connection += 1
            self._connected = True
            self._clock = None  # a new connection may be a new machine
            self.peer = peer
            return self._connection

    def detach(self, connection: int) -> None:
        with self._lock:
            if connection == self._connection:
                self._connected = False

    def is_current(self, connection: int) -> bool:
        return connection == self._connection

    def put(self, connection: int, seq: int, sent_at: float, positions: tuple[float, ...]) -> None:
        received_at, received_mono = time.time(), time.monotonic()
        with self._lock:
            if connection != self._connection:
                return
            offset = self._clock[0] if self._clock is not None else None
            self._latest = ArrivedSample(
                seq,
                np.asarray(positions, dtype=np.float32),
                sent_at,
                received_at,
                received_mono,
                offset,
                connection,
            )
            self.samples += 1

    def set_clock(self, connection: int, offset_s: float, rtt_s: float) -> None:
        with self._lock:
            if connection == self._connection:
                self._clock = (offset_s, rtt_s)

    # ---- the device --------------------------------------------------------------------
    def latest(self) -> ArrivedSample | None:
        return self._latest

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def clock(self) -> tuple[float, float] | None:
        return self._clock


_INBOXES: dict[str, LeaderInbox] = {}
_INBOXES_LOCK = threading.Lock()


def leader_inbox(arm: str) -> LeaderInbox:
    with _INBOXES_LOCK:
        inbox = _INBOXES.get(arm)
        if inbox is None:
            inbox = _INBOXES[arm] = LeaderInbox(arm)
        return inbox
