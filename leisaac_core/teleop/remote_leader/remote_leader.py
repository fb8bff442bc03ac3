"""The remote leader as a teleop `Device`: the newest sample the relay sent, each tick.

When no sample arrived for `stale_after_ms` (the relay stopped, the network stalled), the
device says so in `hold_reason`, and at once when the relay's connection closes: the
session then holds the arm (the simulation does not step) and pauses the episode until
samples come back. Each sample used is timed
(`InputTiming`): its age when the tick used it and its one-way latency, in the server's
clock by the relay's offset estimate.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from leisaac_core.sim.base import Env, Step
from leisaac_core.teleop.base import DeviceError, DeviceHealth
from leisaac_core.teleop.input_timing import InputTiming
from leisaac_core.teleop.remote_leader.config import RemoteLeaderConfig
from leisaac_core.teleop.remote_leader.inbox import ArrivedSample, LeaderInbox, leader_inbox


class RemoteLeader:
    intervention = False  # a person drives it: never an override
    starved_ticks = None  # a quiet relay pauses the episode instead

    name = "remote_leader"
    realtime = True

    def __init__(self, config: RemoteLeaderConfig) -> None:
        self.config = config
        self.input_timing = InputTiming()
        self._inbox: LeaderInbox | None = None
        self._stale_after_s = config.stale_after_ms / 1e3
        self._last_seq: tuple[int, int] | None = None  # (connection, seq) of the last used
        self._reads = 0

    # -- Device protocol --------------------------------------------------------------------
    def connect(self, env: Env | None = None) -> None:
        self._inbox = leader_inbox(self.config.id)

    @property
    def hold_reason(self) -> str:
        inbox = self._inbox
        if inbox is None:
            return "the remote leader is not connected"
        sample = inbox.latest()
        if sample is None:
            return (
                f"waiting for the leader relay of arm '{self.config.id}': run "
                f"`leisaac-dashboard leader relay --id {self.config.id} ...` beside the arm"
            )
        if not inbox.connected:
            return f"the leader relay of arm '{self.config.id}' disconnected; waiting for it"
        quiet_ms = (time.monotonic() - sample.received_mono) * 1e3
        if quiet_ms < self.config.stale_after_ms:
            return ""
        return f"no sample from the leader relay of arm '{self.config.id}' for {quiet_ms:.0f} ms"

    def read(self, step: Step | None = None) -> np.ndarray:
        inbox = self._inbox
        sample = inbox.latest() if inbox is not None else None
        if sample is None:
            raise DeviceError("no sample from the leader relay yet")
        now = time.time()
        made = self._server_time(sample)
        clock = inbox.clock if inbox is not None else None
        if clock is not None:
            self.input_timing.clock_offset_s, self.input_timing.rtt_s = clock
        self.input_timing.used(now - made)
        key = (sample.connection, sample.seq)
        if key != self._last_seq:
            self._last_seq = key
            self.input_timing.arrived(sample.received_at - made, sample.received_mono)
        self._reads += 1
        return sample.positions

    def reset(self, seed: int | None) -> None:
        """A new episode: its input figures start afresh (the arm has no state)."""
        self.input_timing.restart()

    def handle_input(self, message: Mapping[str, Any]) -> None:
        """The remote leader takes no browser input."""

    def health(self) -> DeviceHealth:
        inbox = self._inbox
        details: dict[str, Any] = dict(self.input_timing.live_figures())
        details["relay"] = inbox.peer if inbox is not None else ""
        details["samples"] = inbox.samples if inbox is not None else 0
        hold = self.hold_reason
        return DeviceHealth(
            connected=inbox is not None and inbox.connected and not hold,
            message=hold,
            reads=self._reads,
            details=details,
        )

    def disconnect(self) -> None:
        self._inbox = None

    def _server_time(self, sample: ArrivedSample) -> float:
        """When the sample was made, in the server's clock (its arrival, without an offset
        estimate yet: then the age counts from there)."""
        if sample.clock_offset_s is None:
            return sample.received_at
        return sample.sent_at + sample.clock_offset_s
