"""A person at the keyboard, reduced to rules: which of LeIsaac's keys to hold next, from the
joint state and the object positions the server reports (as a person reads the camera).

Used by the browser test that grasps an orange with keys alone. The pilot never sends joint
targets: it only chooses keys (and Shift for precision near the goal), so what it proves is
that the page's keys, at the page's default speed, are fine enough for a grasp.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from leisaac_core import so101
from leisaac_core.kinematics import CLOSING_AXIS, FIXED_JAW_FACE, SO101Kinematics
from leisaac_core.teleop.browser.browser import ANGULAR_STEP_RAD, DEFAULT_SPEED, LINEAR_STEP_M

ORANGE_RADIUS = 0.022
# The point between the jaws that should end at the orange's centre.
GRASP_POINT = FIXED_JAW_FACE + (ORANGE_RADIUS + 0.004) * CLOSING_AXIS
TRAVEL_ABOVE = 0.04  # m above the orange's centre while approaching
LIFT_TO = 0.09  # m: the orange's centre height that counts as lifted
GRIPPER_OPEN_DEG = 50.0
GRIPPER_SHUT_DEG = -5.0  # below what the gripper reaches around an orange
PRECISION_WITHIN_TOLS = 6  # hold Shift (precision) this many tolerances from a goal
FOLDED_LIFT = -95.0  # normalized shoulder lift: folded down at its limit
CLOSING_TICKS = 45  # ticks with U held before lifting: shut from open, then a squeeze
PAGE_PRECISION_FACTOR = 0.2  # frontend/static/js/teleop.js: Shift's share of the speed
MOVE_SHARE = 0.7  # a move aims at this share of the error, then the pilot looks again
MOVE_MAX_TICKS = 30
LINEAR_KEYS = frozenset({"KeyW", "KeyS", "KeyQ", "KeyE"})


@dataclass(frozen=True)
class Keys:
    """Keys to hold. `ticks`: hold them that many of the server's ticks, then let go and
    let the arm settle before the next look (a move toward a goal, sized from its error, so
    how late a look is does not decide where the arm stops); None: hold them until the next
    look (a one-sided goal, such as 'up until lifted', that overshooting does not spoil)."""

    codes: frozenset[str]
    shift: bool = False
    ticks: int | None = None


def move_toward(error: float, plus: str, minus: str, tol: float, keys: set[str]) -> Keys:
    """The key that reduces `error` (radians or metres, as its key moves), with Shift within
    PRECISION_WITHIN_TOLS tolerances, held for MOVE_SHARE of the error at the page's default
    speed: at least one tick (a tap)."""
    key = plus if error > 0 else minus
    shift = abs(error) < PRECISION_WITHIN_TOLS * tol
    step = LINEAR_STEP_M if key in LINEAR_KEYS else ANGULAR_STEP_RAD
    step *= DEFAULT_SPEED * (PAGE_PRECISION_FACTOR if shift else 1.0)
    ticks = min(MOVE_MAX_TICKS, max(1, int(MOVE_SHARE * abs(error) / step)))
    return Keys(frozenset(keys | {key}), shift=shift, ticks=ticks)


class KeyboardPilot:
    """Phases: approach above the orange (gripper open, fingers down), descend, close, lift.
    `half_width`: the object's, for one that is no orange (the grasp point between the jaws
    sits that far, plus a little clearance, from the fixed jaw)."""

    def __init__(self, target: str, half_width: float = ORANGE_RADIUS) -> None:
        self.target = target
        self.phase = "approach"
        self._kin = SO101Kinematics(FIXED_JAW_FACE + (half_width + 0.004) * CLOSING_AXIS)

    def _pan_error(self, q: np.ndarray, orange: np.ndarray) -> float:
        """Bearing from the tool to the orange about the base; positive when more pan (A)
        is needed."""

        def bearing(qq: np.ndarray) -> float:
            tool = self._kin.fk(qq).position
            return math.atan2(tool[1], tool[0])

        error = math.atan2(orange[1], orange[0]) - bearing(q)
        q2 = q.copy()
        q2[0] += 0.05
        return error if bearing(q2) > bearing(q) else -error

    def _finger_down_error(self, q: np.ndarray) -> float:
        """Signed tilt of the fingers from straight down, in the arm's vertical plane:
        positive when more wrist pitch (K) is needed."""
        axis = self._kin.finger_axis(q)
        now = math.acos(float(np.clip(-axis[2], -1, 1)))
        if q[3] > math.radians(so101.JOINT_LIMITS_DEG["wrist_flex"][1] - 3):
            return 0.0  # as far as the wrist goes (its servo stops a degree or two short)
        q2 = q.copy()
        q2[3] += 0.05
        axis2 = self._kin.finger_axis(q2)
        after = math.acos(float(np.clip(-axis2[2], -1, 1)))
        return now if after < now else -now

    def next_keys(
        self, joint_state: Sequence[float], objects: Mapping[str, Sequence[float]]
    ) -> Keys:
        """One key at a time (plus the gripper), the first goal not yet met, as a careful
        beginner would: point the fingers down, turn toward the
        orange, reach out to it, go down to it; then close the gripper and lift."""
        q = so101.normalized_to_radians(np.asarray(joint_state, dtype=np.float64))
        orange = np.asarray(objects[self.target], dtype=np.float64)
        tool = self._kin.fk(q).position
        gripper_deg = math.degrees(q[5])
        keys: set[str] = set()
        if self.phase in ("approach", "descend"):
            if gripper_deg < GRIPPER_OPEN_DEG:
                keys.add("KeyO")
            height = orange[2] + (TRAVEL_ABOVE if self.phase == "approach" else 0.0)
            goals = [
                (self._finger_down_error(q), "KeyK", "KeyI", 0.12),
                (self._pan_error(q, orange), "KeyA", "KeyD", 0.012),
                (height - tool[2], "KeyQ", "KeyE", 0.004),
                (
                    math.hypot(orange[0], orange[1]) - math.hypot(tool[0], tool[1]),
                    "KeyW",
                    "KeyS",
                    0.004,
                ),
            ]
            for error, plus, minus, tol in goals:
                if plus == "KeyW" and error > tol and joint_state[1] < FOLDED_LIFT:
                    # W does not unfold an arm folded at rest (lift and elbow at their
                    # limits); a person sees it stuck and lifts it a little first.
                    keys.add("KeyQ")
                    return Keys(frozenset(keys))
                if abs(error) > tol:
                    return move_toward(error, plus, minus, tol, keys)
            if not keys:
                self.phase = "descend" if self.phase == "approach" else "close"
        elif self.phase == "close":
            self.phase = "lift"
            if gripper_deg > GRIPPER_SHUT_DEG:
                return Keys(frozenset({"KeyU"}), ticks=CLOSING_TICKS)
        elif self.phase == "lift":
            keys.add("KeyU")  # keep squeezing
            if orange[2] < LIFT_TO:
                keys.add("KeyQ")
            else:
                self.phase = "done"
        return Keys(frozenset(keys))

    @property
    def done(self) -> bool:
        return self.phase == "done"
