"""One arm's motions for the scripted demonstrator: pick, place, lift, rest.

Motions are straight tool-point lines solved per tick with damped-least-squares IK
(`leisaac_core.kinematics`) in the arm's own base frame, from the joint state and object
positions an `ArmView` reads off the latest observation. Each motion is a generator that
yields the arm's joint targets (radians, 6) one tick at a time, so a plan for two arms
advances both a tick at a time, and `LOOK` right before it reads the observation (see
scripted.py: a caller may hand it a fresh one there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from leisaac_core import so101
from leisaac_core.kinematics import CLOSING_AXIS, FIXED_JAW_FACE, SO101Kinematics
from leisaac_core.tasks import ObjectsNear, SceneState, TaskSpec

DOWN = np.array([0.0, 0.0, -1.0])
GRIPPER_OPEN_DEG = 55.0
GRIPPER_RELEASE_DEG = 35.0
GRIPPER_CLOSED_DEG = -10.0
# The fixed jaw passes this far beside the object while descending.
SIDE_CLEARANCE = 0.004
LIFT_MARGIN = 0.05
# A missed grasp or a dropped object is retried this many times in all.
ATTEMPTS = 3


class Look:
    """Yielded by a plan right before it reads the observation it was given."""


LOOK = Look()
Plan = Iterator[np.ndarray | Look]


def _wrap(angle: float, period: float) -> float:
    """`angle` moved by whole periods into [-period/2, period/2)."""
    return (angle + period / 2) % period - period / 2


@dataclass(frozen=True)
class Style:
    """How one episode's demonstration moves. Ranges kept where 20 of 20 seeds still succeed
    on every task (checked in tests/teleop/test_scripted.py)."""

    speed_scale: float = 1.0
    travel_height: float | None = None  # None: the config's
    grasp_roll_rad: float = 0.0  # wrist roll while grasping (the grasp's yaw)
    approach_offset: tuple[float, float] = (0.0, 0.0)  # pre-grasp point beside the object (m)

    @classmethod
    def from_seed(cls, seed: int, arm: int = 0) -> Style:
        # Not the env's stream for the same seed; arm 0 keeps the one-arm styles as they were.
        key = [seed, 0x5C817] if arm == 0 else [seed, 0x5C817, arm]
        rng = np.random.default_rng(key)
        angle = rng.uniform(0, 2 * math.pi)
        reach = rng.uniform(0.0, 0.02)
        return cls(
            speed_scale=float(rng.uniform(0.9, 1.15)),
            travel_height=float(rng.uniform(0.065, 0.082)),
            grasp_roll_rad=float(rng.uniform(-0.2, 0.2)),
            approach_offset=(reach * math.cos(angle), reach * math.sin(angle)),
        )


@dataclass(frozen=True)
class ArmView:
    """What one arm's motions read of the latest observation: object positions in the arm's
    base frame and the arm's six measured joint angles (radians). Each call is one look at
    the observation (the device counts them)."""

    positions: Callable[[], Mapping[str, np.ndarray]]
    measured: Callable[[], np.ndarray]
    yaws: Callable[[], Mapping[str, float]] = dict  # headings in the base frame, if known


class ArmScript:
    """The motion primitives of one arm; `cmd` is its latest joint target (radians)."""

    def __init__(
        self,
        task: TaskSpec,
        view: ArmView,
        kinematics: SO101Kinematics,
        style: Style,
        speed: float,
        travel_height: float,
        dt: float,
        start: np.ndarray,
    ) -> None:
        self._task = task
        self._view = view
        self._kin = kinematics
        self._style = style
        self._base_speed = speed
        self._base_travel = travel_height
        self._dt = dt
        self.cmd = np.asarray(start, dtype=np.float64).copy()

    # --- what a plan composes ---------------------------------------------------------------
    def position_of(self, name: str) -> np.ndarray:
        """Object `name`'s position in this arm's base frame."""
        return np.asarray(self._view.positions()[name], dtype=np.float64)

    def distance_to(self, name: str) -> float:
        """How far object `name` lies from this arm's base, across the table (m)."""
        return float(np.linalg.norm(self.position_of(name)[:2]))

    def pick_and_place(self, name: str, rule: ObjectsNear, offset: np.ndarray) -> Plan:
        """Put `name` on the rule's target at `offset` (base frame), retrying a missed grasp
        or a drop until it lies within the rule's tolerances."""
        for _ in range(ATTEMPTS):
            if not (yield from self.pick(name)):
                continue
            yield from self.place(name, rule.target, offset)
            single = ObjectsNear((name,), rule.target, rule.tol_xy, rule.tol_z)
            yield LOOK
            if single.holds(SceneState(self._view.positions(), self._view.measured())):
                break

    def pick_and_lift(self, name: str, height: float) -> Plan:
        for _ in range(ATTEMPTS):
            if (yield from self.pick(name)):
                break
        yield from self.lift(name, height + LIFT_MARGIN)

    def hold(self, seconds: float) -> Plan:
        for _ in range(max(0, round(seconds / self._dt))):
            yield self.cmd.copy()

    # --- motion primitives (generators yielding joint targets in radians, one per tick) ----
    def _half_width(self, name: str) -> float:
        return float(self._task.object(name).size[0])

    def _tool_point(self, name: str) -> np.ndarray:
        return FIXED_JAW_FACE + (self._half_width(name) + SIDE_CLEARANCE) * CLOSING_AXIS

    @property
    def _speed(self) -> float:
        return self._base_speed * self._style.speed_scale

    @property
    def _travel(self) -> float:
        return self._style.travel_height or self._base_travel

    def _roll(self, radians: float, seconds: float) -> Plan:
        start = self.cmd[4]
        ticks = max(1, round(seconds / self._dt))
        for i in range(1, ticks + 1):
            self.cmd[4] = start + (radians - start) * i / ticks
            yield self.cmd.copy()

    def _gripper(self, degrees: float, seconds: float) -> Plan:
        start = self.cmd[5]
        goal = math.radians(degrees)
        ticks = max(1, round(seconds / self._dt))
        for i in range(1, ticks + 1):
            self.cmd[5] = start + (goal - start) * min(1.0, 2 * i / ticks)
            yield self.cmd.copy()

    def _line(
        self,
        goal: np.ndarray,
        tool_point: np.ndarray,
        speed: float,
        approach: np.ndarray | None = DOWN,
        track: str | None = None,
    ) -> Plan:
        """Move the tool point in a straight line to `goal` (re-aimed at object `track`'s
        current position, if given), then wait briefly for the arm to catch up."""
        start = self._kin.fk(self.cmd, tool_point).position
        distance = float(np.linalg.norm(goal - start))
        ticks = max(1, math.ceil(distance / (speed * self._dt)))
        for i in range(1, ticks + 1):
            target = goal.copy()
            if track is not None:
                yield LOOK
                target[:2] = self._view.positions()[track][:2]
            point = start + (target - start) * (i / ticks)
            result = self._kin.ik(point, self.cmd, approach=approach, tool_point=tool_point)
            self.cmd = result.joint_radians
            yield self.cmd.copy()
        yield from self._settle()

    def _settle(self, tolerance_rad: float = 0.04, max_seconds: float = 0.5) -> Plan:
        for _ in range(round(max_seconds / self._dt)):
            yield LOOK
            if np.max(np.abs(self._view.measured()[:5] - self.cmd[:5])) < tolerance_rad:
                return
            yield self.cmd.copy()

    def pick(self, name: str) -> Generator[np.ndarray | Look, None, bool]:
        """Grasp `name` from above and lift it; returns whether the gripper holds it."""
        tool = self._tool_point(name)
        travel = self._travel
        speed = self._speed
        yield LOOK
        obj = self._view.positions()[name]
        # The pre-grasp point sits a little beside the object: the descent comes in at an
        # angle, then goes straight down the last few centimetres (the jaw clears the top).
        dx, dy = self._style.approach_offset
        above = np.array([obj[0] + dx, obj[1] + dy, max(travel, obj[2] + 0.04)])
        roll = self._grasp_roll(name, above, tool)  # the heading seen in the same look
        yield from self._gripper(GRIPPER_OPEN_DEG, 0.3)
        yield from self._roll(roll, 0.3)
        yield from self._line(above, tool, speed)
        if dx or dy:
            pre = np.array([obj[0], obj[1], obj[2] + 0.03])
            yield from self._line(pre, tool, speed / 2, track=name)
        yield LOOK
        obj = self._view.positions()[name]
        yield from self._line(obj.copy(), tool, speed / 2, track=name)
        yield from self._gripper(GRIPPER_CLOSED_DEG, 0.5)
        up = self._kin.fk(self.cmd, tool).position.copy()
        up[2] = travel
        yield from self._line(up, tool, speed / 2)
        yield LOOK
        # An empty gripper closes to its limit; a held object keeps it well open.
        return not bool(self._view.measured()[5] < math.radians(GRIPPER_CLOSED_DEG + 5))

    def _grasp_roll(self, name: str, above: np.ndarray, tool: np.ndarray) -> float:
        """The wrist roll to grasp with: the style's, plus for a box the turn that sets the
        jaws square to its faces (a box held across its corners slips; a sphere or an
        upright cylinder looks the same from every side)."""
        roll = self._style.grasp_roll_rad
        yaw = self._view.yaws().get(name) if self._task.object(name).shape == "box" else None
        if yaw is None:
            return roll
        q = self.cmd.copy()
        q[4] = roll
        q = self._kin.ik(above, q, approach=DOWN, tool_point=tool).joint_radians
        jaws = self._closing_yaw(q)
        turned = q.copy()
        turned[4] += 0.1
        sign = 1.0 if _wrap(self._closing_yaw(turned) - jaws, math.pi) > 0 else -1.0
        return roll + sign * _wrap(yaw - jaws, math.pi / 2)

    def _closing_yaw(self, q: np.ndarray) -> float:
        axis = self._kin.fk(q).rotation @ CLOSING_AXIS
        return math.atan2(axis[1], axis[0])

    def place(self, name: str, target: str, offset: np.ndarray) -> Plan:
        tool = self._tool_point(name)
        travel = self._travel
        yield LOOK
        goal = self._view.positions()[target] + offset
        radius = self._half_width(name)
        yield from self._line(np.array([goal[0], goal[1], travel]), tool, self._speed)
        drop = np.array([goal[0], goal[1], goal[2] + radius + 0.012])
        yield from self._line(drop, tool, self._speed / 2)
        yield from self._gripper(GRIPPER_RELEASE_DEG, 0.3)
        up = drop.copy()
        up[2] = travel
        yield from self._line(up, tool, self._speed / 2)

    def lift(self, name: str, height: float) -> Plan:
        tool = self._tool_point(name)
        here = self._kin.fk(self.cmd, tool).position
        goal = np.array([min(here[0], 0.15), here[1] * 0.5, height])
        yield from self._line(goal, tool, self._speed / 2, approach=None)
        yield from self._settle(max_seconds=1.0)

    def go_rest(self, seconds: float = 1.5) -> Plan:
        start = self.cmd.copy()
        rest = so101.rest_pose_radians()
        ticks = max(1, round(seconds / self._dt))
        for i in range(1, ticks + 1):
            s = 0.5 - 0.5 * math.cos(math.pi * i / ticks)  # smooth start and stop
            self.cmd = start + (rest - start) * s
            yield self.cmd.copy()
        yield from self._settle(max_seconds=1.0)
