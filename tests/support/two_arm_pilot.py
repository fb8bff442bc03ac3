"""A person cleaning the two-arm toy table with the keyboard, reduced to rules: one arm at a
time (the page's switch), each picks its toy, carries it over the box, lets go, and folds
back to rest. Like `KeyboardPilot` it only chooses keys (and Shift near a goal) from the
joint state and the object positions, as a person reads the cameras.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from leisaac_core import so101
from leisaac_core.tasks import get_task
from leisaac_core.tasks.toys import TOY_HALF
from tests.support.keyboard_pilot import KeyboardPilot, Keys, move_toward

TASK = get_task("bi_so101_clean_toy_table")
CARRY_Z = 0.085  # m: the toy's centre while carried (the box's walls are 3.5 cm high)
LOWER_Z = 0.045  # m: where it is let go, inside the box
PLACE_TOWARD_BASE = 0.015  # m from the box's centre towards the arm's base
RELEASE_DEG = 30.0
REST_WITHIN_DEG = 15.0  # the task's rule allows 30 degrees; a person aims closer


class ArmPilot(KeyboardPilot):
    """Grasp and lift (the base class), then carry, lower, release, raise and rest."""

    def __init__(self, target: str) -> None:
        super().__init__(target, half_width=TOY_HALF)
        self._rest_tool = self._kin.fk(so101.rest_pose_radians()).position
        self._folding = False

    def _first(self, goals, keys: set[str]) -> Keys | None:
        for error, plus, minus, tol in goals:
            if abs(error) > tol:
                return move_toward(error, plus, minus, tol, keys)
        return None

    def next_keys(
        self, joint_state: Sequence[float], objects: Mapping[str, Sequence[float]]
    ) -> Keys:
        if self.phase in ("approach", "descend", "close", "lift"):
            keys = super().next_keys(joint_state, objects)
            if self.phase == "done":  # the base class's end: ours goes on
                self.phase = "carry"
            return keys
        q = so101.normalized_to_radians(np.asarray(joint_state, dtype=np.float64))
        tool = self._kin.fk(q).position
        box = np.asarray(objects["box"], dtype=np.float64)
        place = box[:2] - PLACE_TOWARD_BASE * box[:2] / np.linalg.norm(box[:2])
        keys: set[str] = set()
        if self.phase in ("carry", "lower"):
            keys.add("KeyU")  # keep squeezing
            height = CARRY_Z if self.phase == "carry" else LOWER_Z
            goals = [
                (self._finger_down_error(q), "KeyK", "KeyI", 0.12),
                (self._pan_error(q, np.array([*place, 0.0])), "KeyA", "KeyD", 0.03),
                (np.linalg.norm(place) - math.hypot(tool[0], tool[1]), "KeyW", "KeyS", 0.006),
                (height - tool[2], "KeyQ", "KeyE", 0.006),
            ]
            if self.phase == "lower":
                goals = goals[-1:]
            found = self._first(goals, keys)
            if found is not None:
                return found
            self.phase = "lower" if self.phase == "carry" else "release"
        elif self.phase == "release":
            if math.degrees(q[5]) < RELEASE_DEG:
                keys.add("KeyO")
            else:
                self.phase = "raise"
        elif self.phase == "raise":
            if tool[2] < CARRY_Z:
                keys.add("KeyQ")
            else:
                self.phase = "rest"
        elif self.phase == "rest":
            off = q - so101.rest_pose_radians()
            goals = [
                (-off[5], "KeyO", "KeyU", math.radians(5.0)),  # the gripper closed
                (-off[0], "KeyA", "KeyD", math.radians(4.0)),  # pan
                (-off[4], "KeyL", "KeyJ", math.radians(4.0)),  # wrist roll
                (-off[3], "KeyK", "KeyI", math.radians(4.0)),  # wrist flex
            ]
            if not self._folding:
                goals += [
                    (self._rest_tool[2] - tool[2], "KeyQ", "KeyE", 0.01),
                    (
                        math.hypot(*self._rest_tool[:2]) - math.hypot(tool[0], tool[1]),
                        "KeyW",
                        "KeyS",
                        0.01,
                    ),
                ]
            found = self._first(goals, keys)
            if found is not None:
                return found
            if so101.at_rest(q, REST_WITHIN_DEG):
                self.phase = "done"
            else:
                # Near the rest pose's tool position (maybe in its elbow-up twin), up and back
                # folds the arm onto its shoulder and elbow stops: the rest pose.
                self._folding = True
                keys.update(("KeyQ", "KeyS"))
        return Keys(frozenset(keys))


def arm_frame(objects: Mapping[str, Sequence[float]], arm: str) -> dict[str, np.ndarray]:
    """Object positions the page reports (the first arm's base frame) in `arm`'s frame."""
    bases = {a.name: np.asarray(a.base, dtype=np.float64) for a in TASK.arms}
    shift = bases[TASK.arms[0].name] - bases[arm]
    return {name: np.asarray(pos, dtype=np.float64) + shift for name, pos in objects.items()}
