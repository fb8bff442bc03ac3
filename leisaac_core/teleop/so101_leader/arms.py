"""The SO-101 leader arm(s) a session drives with, as one teleop `Device`.

Each arm is an `SO101Leader` of its own (its port, its lerobot calibration file, its
reconnection), listed as its own entry of the session's `devices` (with `arm: left|right`
for a two-arm task); this device reads them all in every tick and hands the env one action
of 6 joints per arm, in the task's arm order (lerobot's bimanual layout: left then right).

A fault on an arm (unplugged, a silent servo) pauses the episode rather than failing it:
every arm holds its last target, nothing is recorded, and `hold_reason` says what happened
and, with two arms, names the side ("right leader arm: ..."), so the operator knows which
cable to check. While paused the faulted arm is retried at its reconnect interval, and the
episode resumes by itself when its port answers again. A fault before the first read has
nothing to hold and fails the episode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from leisaac_core.sim.base import Env, Step
from leisaac_core.teleop.base import DeviceError, DeviceHealth
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig
from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader

TWO_ARMS = "bi_so101_leader"


def arm_names(joint_names: Sequence[str]) -> list[str]:
    """The arms an env's joints name, in order: ("left_shoulder_pan.pos", ...) -> left, ..."""
    return [
        n.removesuffix("_shoulder_pan.pos") for n in joint_names if n.endswith("_shoulder_pan.pos")
    ]


def _sided(side: str, message: str) -> str:
    """'leader arm on /dev/x: ...' -> 'left leader arm on /dev/x: ...' ("" for one arm)."""
    if not side:
        return message
    if message.startswith("leader arm"):
        return f"{side} {message}"
    return f"{side} leader arm: {message}"


class LeaderArms:
    intervention = False  # people drive it: never an override
    starved_ticks = None  # always has an action
    input_timing = None  # local: no network between the arms and the loop

    realtime = True

    def __init__(self, configs: Sequence[SO101LeaderConfig]) -> None:
        sides = [c.arm for c in configs]
        if len(configs) > 1 and (None in sides or len(set(sides)) != len(sides)):
            raise ValueError(
                f"two leader arms need one entry per arm, each with its own `arm` (left, "
                f"right); got arms {sides}"
            )
        self.name = TWO_ARMS if len(configs) > 1 else "so101_leader"
        self.arms: dict[str, SO101Leader] = {
            (c.arm or "") if len(configs) > 1 else "": SO101Leader(c) for c in configs
        }
        self._faults: dict[str, str] = {}  # side -> what its arm's last read said
        self._last: dict[str, np.ndarray] = {}  # side -> its last good reading

    def order(self, sides: Sequence[str]) -> None:
        """Read the arms in this order (the task's), e.g. ("left", "right")."""
        if sorted(sides) != sorted(self.arms):
            raise DeviceError(
                f"the task's arms are {', '.join(sides)}; the leader arms listed are "
                f"{', '.join(self.arms)}"
            )
        self.arms = {side: self.arms[side] for side in sides}

    # -- Device protocol --------------------------------------------------------------------
    def connect(self, env: Env | None = None) -> None:
        if env is not None and len(self.arms) > 1:
            self.order(arm_names(env.joint_names))
        connected: list[SO101Leader] = []
        try:
            for side, arm in self.arms.items():
                try:
                    arm.connect(env)
                except DeviceError as exc:
                    raise DeviceError(_sided(side, str(exc))) from exc
                connected.append(arm)
        except BaseException:
            for arm in connected:
                arm.disconnect()
            raise

    def read(self, step: Step | None = None) -> np.ndarray:
        for side, arm in self.arms.items():
            try:
                self._last[side] = arm.read(step)
                self._faults.pop(side, None)
            except DeviceError as exc:
                if side not in self._last:
                    raise DeviceError(_sided(side, str(exc))) from exc
                self._faults[side] = str(exc)  # hold both; hold_reason pauses the episode
        return np.concatenate([self._last[side] for side in self.arms])

    @property
    def hold_reason(self) -> str:
        """The faulted sides, each retried here (at its arm's reconnect interval) while the
        episode is paused, since the paused loop does not read the device."""
        for side in list(self._faults):
            try:
                self._last[side] = self.arms[side].read(None)
                del self._faults[side]
            except DeviceError as exc:
                self._faults[side] = str(exc)
        return "; ".join(_sided(side, message) for side, message in self._faults.items())

    def reset(self, seed: int | None) -> None:
        """The operator's hands are the state: nothing to reset."""

    def handle_input(self, message: Mapping[str, Any]) -> None:
        """Leader arms take no browser input."""

    def health(self) -> DeviceHealth:
        healths = {side: arm.health() for side, arm in self.arms.items()}
        problems = [_sided(side, h.message) for side, h in healths.items() if h.message]
        return DeviceHealth(
            connected=all(h.connected for h in healths.values()),
            message="; ".join(problems),
            reads=min(h.reads for h in healths.values()),
            errors=sum(h.errors for h in healths.values()),
            details={f"{side}_reads": h.reads for side, h in healths.items()},
        )

    def disconnect(self) -> None:
        for arm in self.arms.values():
            arm.disconnect()
        self._faults.clear()
        self._last.clear()
