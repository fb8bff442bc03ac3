"""The contract every teleoperation device fulfils.

Like the env, a device is created, connected, read and closed by the session's worker
thread only. Inputs from the browser (keys, gamepad axes) reach it through `handle_input`,
which the worker thread calls after taking the message off its command queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from leisaac_core.sim.base import Env, Step
from leisaac_core.teleop.input_timing import InputTiming


class DeviceError(RuntimeError):
    """The device cannot deliver actions (unplugged, dead servo, corrupt bus). The message
    says what the operator should do; the session fails the episode and keeps running."""


@dataclass(frozen=True)
class DeviceHealth:
    connected: bool
    message: str = ""
    reads: int = 0
    errors: int = 0
    # Device-specific live figures for the health panel (e.g. policy round-trip time).
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Device(Protocol):
    # Whether the last read() came from a person overriding an automatic driver (a takeover
    # from a policy); recorded per frame as `intervention`.
    intervention: bool
    # Ticks of this episode with no fresh action to give (a policy waiting for its server);
    # None for devices that always have one.
    starved_ticks: int | None
    # Timing of input that crossed a network to get here (a remote leader's samples, a
    # browser's keys): its age when used and its one-way latency. None for local devices.
    input_timing: InputTiming | None

    @property
    def hold_reason(self) -> str:
        """Non-empty while the device has no live input and the episode must wait (a remote
        leader whose relay went quiet): the arm holds, nothing is recorded, and the operator
        reads this. Empty for devices that always have input."""
        ...

    @property
    def name(self) -> str:
        """Registry name, stored with every episode ("scripted", "so101_leader", ...)."""
        ...

    @property
    def realtime(self) -> bool:
        """Whether the loop should be paced at the dataset fps (humans) or run free."""
        ...

    def connect(self, env: Env) -> None: ...

    def read(self, step: Step) -> np.ndarray:
        """Joint targets for the next tick, float32 in normalized units, given the last step.
        Raises DeviceError when the device cannot deliver."""
        ...

    def reset(self, seed: int | None) -> None:
        """Called after every env reset (a scripted demonstrator re-plans here)."""
        ...

    def handle_input(self, message: Mapping[str, Any]) -> None:
        """Browser input (keyboard/gamepad state). Devices that take none ignore it."""
        ...

    def health(self) -> DeviceHealth: ...

    def disconnect(self) -> None: ...
