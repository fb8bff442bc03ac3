"""Success rules as small declarative dataclasses, evaluated on a backend-neutral scene state.

A task's success condition is data (e.g. `All((ObjectsNear(...), ArmAtRest(30.0)))`), so every
backend evaluates the same rule the same way and a scripted demonstrator can read what the
task asks for from the rule itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from leisaac_core import so101


@dataclass(frozen=True)
class SceneState:
    """What a rule may look at: world positions (m) and the arms' joint angles (rad; 6 per
    arm, arm after arm as the task lists them); `robot_base` is the first arm's base."""

    object_positions: Mapping[str, np.ndarray]
    joint_radians: np.ndarray
    robot_base: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def position(self, name: str) -> np.ndarray:
        try:
            return np.asarray(self.object_positions[name], dtype=np.float64)
        except KeyError:
            known = ", ".join(sorted(self.object_positions))
            raise KeyError(f"rule refers to object {name!r}; the scene has: {known}") from None


@dataclass(frozen=True)
class ObjectsNear:
    """Every object within +-tol_xy (x and y each) and +-tol_z of the target object."""

    objects: tuple[str, ...]
    target: str
    tol_xy: float
    tol_z: float

    def holds(self, state: SceneState) -> bool:
        target = state.position(self.target)
        for name in self.objects:
            delta = np.abs(state.position(name) - target)
            if delta[0] > self.tol_xy or delta[1] > self.tol_xy or delta[2] > self.tol_z:
                return False
        return True


@dataclass(frozen=True)
class ArmAtRest:
    """Every joint of every arm within tol_deg of LeIsaac's rest pose."""

    tol_deg: float = so101.REST_TOLERANCE_DEG

    def holds(self, state: SceneState) -> bool:
        return so101.at_rest(state.joint_radians, self.tol_deg)


@dataclass(frozen=True)
class ObjectAbove:
    """The object's centre more than `height` metres above the robot base."""

    obj: str
    height: float

    def holds(self, state: SceneState) -> bool:
        return bool(state.position(self.obj)[2] - state.robot_base[2] > self.height)


@dataclass(frozen=True)
class All:
    rules: tuple[Rule, ...]

    def holds(self, state: SceneState) -> bool:
        return all(rule.holds(state) for rule in self.rules)


Rule = ObjectsNear | ArmAtRest | ObjectAbove | All


def flatten(rule: Rule) -> list[Rule]:
    """The leaf rules of a rule tree, in order (All nodes expanded)."""
    if isinstance(rule, All):
        return [leaf for sub in rule.rules for leaf in flatten(sub)]
    return [rule]
