"""Hands-free episode control with the leader arm: a held pose ends the episode.

Defaults: the gripper held fully closed for 1 s with the arm at its rest pose marks success;
held fully open at the rest pose marks failure. An operator starts each episode at the rest
pose, so a gesture is armed only once an arm has left the rest pose in this episode, and
fires once. With two leader arms, either arm's gripper makes the gesture while every arm is
at rest. Only leader arms (human hands on the joints) use gestures: a scripted demonstrator
ends at rest with its grippers closed as part of its task.

Hand-written: it is a few comparisons on the joint state every tick; no library does it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from leisaac_core import so101

GESTURE_DEVICES = frozenset({"so101_leader", "bi_so101_leader"})


class GestureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gripper: Literal["closed", "open"] = Field(description="gripper fully closed or fully open")
    at_rest: bool = Field(True, description="arm joints at the rest pose as well")
    hold_s: float = Field(1.0, gt=0, le=10, description="seconds the pose must be held")


class HandsFreeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="leader-arm gestures end episodes")
    success: GestureSpec | None = GestureSpec(gripper="closed")
    failure: GestureSpec | None = GestureSpec(gripper="open")
    # Gripper in normalized units (0 closed .. 100 open).
    closed_below: float = Field(5.0, ge=0, le=100)
    open_above: float = Field(90.0, ge=0, le=100)
    rest_tolerance_deg: float = Field(20.0, gt=0, le=90, description="per arm joint")

    def describe(self) -> str:
        parts = []
        for outcome in ("success", "failure"):
            spec: GestureSpec | None = getattr(self, outcome)
            if spec is not None:
                where = " at the rest pose" if spec.at_rest else ""
                parts.append(f"gripper {spec.gripper} {spec.hold_s:g} s{where} = {outcome}")
        return "; ".join(parts)


class GestureDetector:
    """Fed the leader's normalized joint targets every tick; returns "success" or "failure"
    on the tick a gesture has been held long enough, else None."""

    def __init__(self, config: HandsFreeConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._armed = False  # the arm has left the rest pose in this episode
        self._holding: str | None = None
        self._since = 0.0

    def _at_rest(self, arms: np.ndarray) -> bool:
        """Every arm's five body joints within the tolerance of the rest pose."""
        radians = so101.normalized_to_radians(arms)
        rest = so101.rest_pose_radians()
        tolerance = np.deg2rad(self.config.rest_tolerance_deg)
        return bool(np.all(np.abs(radians[:, :5] - rest[:5]) <= tolerance))

    def _matches(self, spec: GestureSpec, grippers: np.ndarray, at_rest: bool) -> bool:
        if spec.at_rest and not at_rest:
            return False
        if spec.gripper == "closed":
            return bool(np.any(grippers <= self.config.closed_below))
        return bool(np.any(grippers >= self.config.open_above))

    def update(self, normalized: np.ndarray, now: float) -> str | None:
        """`normalized`: the leader arms' joints, 6 per arm."""
        joints = np.asarray(normalized, dtype=np.float64)
        arms = joints.reshape(-1, len(so101.JOINTS))
        at_rest = self._at_rest(arms)
        if not at_rest:
            self._armed = True
        pose = None
        if self._armed:
            for outcome in ("success", "failure"):
                spec: GestureSpec | None = getattr(self.config, outcome)
                if spec is not None and self._matches(spec, arms[:, 5], at_rest):
                    pose = outcome
                    break
        if pose != self._holding:
            self._holding, self._since = pose, now
            return None
        if pose is None:
            return None
        spec = getattr(self.config, pose)
        if now - self._since >= spec.hold_s:
            self.reset()  # fires once; the next episode arms it again
            return pose
        return None
