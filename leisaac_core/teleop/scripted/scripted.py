"""Scripted demonstrator: solves a task by reading what its success rule asks for.

The plan comes from the rule's leaves, not from the task's name: `ObjectsNear` -> pick each
object and put it on the target, `ObjectAbove` -> pick the object and lift it, `ArmAtRest` ->
return to the rest pose. Motions are straight tool-point lines solved per tick with
damped-least-squares IK (`leisaac_core.kinematics`), from the same joint state and object
positions the env reports in `Step.info`.

Deterministic for a seed: the episode's seed fixes the scene (the env) and the style of the
demonstration (`Style`: speed, travel height, grasp yaw by wrist roll, approach direction),
so episodes differ the way a human's do while a seed always replays the same.

The plan is a generator of joint targets. Before it looks at the observation (joint state,
object positions) it yields `LOOK`, so a caller that computes several actions from one
observation (the policy-protocol expert's chunks) can stop right there and hand the plan a
fresh observation first: no decision is ever made on a stale one.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from leisaac_core import so101
from leisaac_core.kinematics import CLOSING_AXIS, FIXED_JAW_FACE, SO101Kinematics
from leisaac_core.sim import info
from leisaac_core.sim.base import Env, Step
from leisaac_core.tasks import (
    ArmAtRest,
    ObjectAbove,
    ObjectsNear,
    SceneState,
    TaskSpec,
    flatten,
    get_task,
)
from leisaac_core.teleop.base import DeviceError, DeviceHealth
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig

DOWN = np.array([0.0, 0.0, -1.0])
GRIPPER_OPEN_DEG = 55.0
GRIPPER_RELEASE_DEG = 35.0
GRIPPER_CLOSED_DEG = -10.0
# The fixed jaw passes this far beside the object while descending.
SIDE_CLEARANCE = 0.004
# Objects placed on a target spread on a circle of this radius around its centre.
PLACE_SPREAD = 0.03
LIFT_MARGIN = 0.05
# A missed grasp or a dropped object is retried this many times in all.
ATTEMPTS = 3


class _Look:
    """Yielded by the plan right before it reads the observation it was given."""


LOOK = _Look()
Plan = Iterator[np.ndarray | _Look]


@dataclass(frozen=True)
class Style:
    """How one episode's demonstration moves. Ranges kept where 20 of 20 seeds still succeed
    on every task (checked in tests/teleop/test_scripted.py)."""

    speed_scale: float = 1.0
    travel_height: float | None = None  # None: the config's
    grasp_roll_rad: float = 0.0  # wrist roll while grasping (the grasp's yaw)
    approach_offset: tuple[float, float] = (0.0, 0.0)  # pre-grasp point beside the object (m)

    @classmethod
    def from_seed(cls, seed: int) -> Style:
        rng = np.random.default_rng([seed, 0x5C817])  # not the env's stream for the same seed
        angle = rng.uniform(0, 2 * math.pi)
        reach = rng.uniform(0.0, 0.02)
        return cls(
            speed_scale=float(rng.uniform(0.9, 1.15)),
            travel_height=float(rng.uniform(0.065, 0.082)),
            grasp_roll_rad=float(rng.uniform(-0.2, 0.2)),
            approach_offset=(reach * math.cos(angle), reach * math.sin(angle)),
        )


def _half_width(task: TaskSpec, name: str) -> float:
    obj = task.object(name)
    return float(obj.size[0])


class ScriptedDevice:
    intervention = False  # nobody overrides the demonstrator
    starved_ticks = None  # always has an action
    input_timing = None  # local: no network between the input and the loop
    hold_reason = ""

    def __init__(self, config: ScriptedDeviceConfig) -> None:
        if config.speed <= 0:
            raise ValueError(f"scripted speed must be positive, got {config.speed}")
        self._config = config
        self._kin = SO101Kinematics()
        self._task: TaskSpec | None = None
        self._dt = 1.0 / 30
        self._script: Plan | None = None
        self._step: Step | None = None
        self._reads = 0
        self._style = Style()
        self._looking = False  # the plan stopped at LOOK for want of a fresh observation

    # --- Device protocol -----------------------------------------------------------------
    @property
    def name(self) -> str:
        return "scripted"

    @property
    def realtime(self) -> bool:
        return False

    def connect(self, env: Env) -> None:
        self._task = get_task(env.task_name)
        self._dt = 1.0 / env.fps

    def reset(self, seed: int | None) -> None:
        # The plan is rebuilt from the first observation after the reset.
        self._script = None
        self._step = None
        self._looking = False
        vary = self._config.vary and seed is not None
        self._style = Style.from_seed(seed) if vary else Style()

    def read(self, step: Step) -> np.ndarray:
        action = self._next(step, fresh=True)
        assert action is not None
        return action

    def read_ahead(self, step: Step) -> np.ndarray | None:
        """The action after the last one, computed from `step` although the arm has moved
        since: None where the plan must look at the observation (a check, a tracked move),
        and the next read() continues there with its fresh one."""
        return self._next(step, fresh=False)

    def _next(self, step: Step, fresh: bool) -> np.ndarray | None:
        if self._task is None:
            raise DeviceError("scripted device is not connected to an env; call connect(env)")
        for key in info.REQUIRED_FOR_PLANNING:
            if key not in step.info:
                raise DeviceError(
                    f"the scripted demonstrator needs Step.info[{key!r}], which this backend "
                    "does not provide"
                )
        if not fresh and (self._script is None or self._looking):
            return None
        self._step = step
        self._looking = False
        if self._script is None:
            self._script = self._plan(np.asarray(step.info[info.JOINT_RADIANS], dtype=np.float64))
        while isinstance(target := next(self._script), _Look):
            if not fresh:
                self._looking = True
                return None
        self._reads += 1
        return so101.radians_to_normalized(target)

    def handle_input(self, message: Mapping[str, Any]) -> None:
        """The demonstrator takes no operator input."""

    def health(self) -> DeviceHealth:
        return DeviceHealth(connected=self._task is not None, reads=self._reads)

    def disconnect(self) -> None:
        self._task = None
        self._script = None

    # --- planning --------------------------------------------------------------------------
    def _positions(self) -> Mapping[str, np.ndarray]:
        """Object positions (the plan yields LOOK before each read of the observation)."""
        assert self._step is not None
        return info.positions_in_base_frame(self._step.info)

    def _scene(self) -> SceneState:
        return SceneState(self._positions(), self._measured())

    def _measured(self) -> np.ndarray:
        assert self._step is not None
        return np.asarray(self._step.info[info.JOINT_RADIANS], dtype=np.float64)

    def _plan(self, start: np.ndarray) -> Plan:
        assert self._task is not None
        self._cmd = start.copy()
        for rule in flatten(self._task.success):
            if isinstance(rule, ObjectsNear):
                for i, name in enumerate(rule.objects):
                    angle = 2 * math.pi * i / max(len(rule.objects), 1)
                    offset = PLACE_SPREAD * np.array([math.cos(angle), math.sin(angle), 0.0])
                    for _ in range(ATTEMPTS):
                        if not (yield from self._pick(name)):
                            continue
                        yield from self._place(name, rule.target, offset)
                        single = ObjectsNear((name,), rule.target, rule.tol_xy, rule.tol_z)
                        yield LOOK
                        if single.holds(self._scene()):
                            break
            elif isinstance(rule, ObjectAbove):
                for _ in range(ATTEMPTS):
                    if (yield from self._pick(rule.obj)):
                        break
                yield from self._lift(rule.obj, rule.height + LIFT_MARGIN)
            elif isinstance(rule, ArmAtRest):
                yield from self._go_rest()
        while True:
            yield self._cmd.copy()

    # --- motion primitives (generators yielding joint targets in radians, one per tick) ----
    def _tool_point(self, name: str) -> np.ndarray:
        assert self._task is not None
        return FIXED_JAW_FACE + (_half_width(self._task, name) + SIDE_CLEARANCE) * CLOSING_AXIS

    @property
    def _speed(self) -> float:
        return self._config.speed * self._style.speed_scale

    @property
    def _travel(self) -> float:
        return self._style.travel_height or self._config.travel_height

    def _roll(self, radians: float, seconds: float) -> Plan:
        start = self._cmd[4]
        ticks = max(1, round(seconds / self._dt))
        for i in range(1, ticks + 1):
            self._cmd[4] = start + (radians - start) * i / ticks
            yield self._cmd.copy()

    def _gripper(self, degrees: float, seconds: float) -> Plan:
        start = self._cmd[5]
        goal = math.radians(degrees)
        ticks = max(1, round(seconds / self._dt))
        for i in range(1, ticks + 1):
            self._cmd[5] = start + (goal - start) * min(1.0, 2 * i / ticks)
            yield self._cmd.copy()

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
        start = self._kin.fk(self._cmd, tool_point).position
        distance = float(np.linalg.norm(goal - start))
        ticks = max(1, math.ceil(distance / (speed * self._dt)))
        for i in range(1, ticks + 1):
            target = goal.copy()
            if track is not None:
                yield LOOK
                target[:2] = self._positions()[track][:2]
            point = start + (target - start) * (i / ticks)
            result = self._kin.ik(point, self._cmd, approach=approach, tool_point=tool_point)
            self._cmd = result.joint_radians
            yield self._cmd.copy()
        yield from self._settle()

    def _settle(self, tolerance_rad: float = 0.04, max_seconds: float = 0.5) -> Plan:
        for _ in range(round(max_seconds / self._dt)):
            yield LOOK
            if np.max(np.abs(self._measured()[:5] - self._cmd[:5])) < tolerance_rad:
                return
            yield self._cmd.copy()

    def _pick(self, name: str) -> Generator[np.ndarray | _Look, None, bool]:
        """Grasp `name` from above and lift it; returns whether the gripper holds it."""
        tool = self._tool_point(name)
        travel = self._travel
        speed = self._speed
        yield LOOK
        obj = self._positions()[name]
        yield from self._gripper(GRIPPER_OPEN_DEG, 0.3)
        yield from self._roll(self._style.grasp_roll_rad, 0.3)
        # The pre-grasp point sits a little beside the object: the descent comes in at an
        # angle, then goes straight down the last few centimetres (the jaw clears the top).
        dx, dy = self._style.approach_offset
        above = np.array([obj[0] + dx, obj[1] + dy, max(travel, obj[2] + 0.04)])
        yield from self._line(above, tool, speed)
        if dx or dy:
            pre = np.array([obj[0], obj[1], obj[2] + 0.03])
            yield from self._line(pre, tool, speed / 2, track=name)
        yield LOOK
        obj = self._positions()[name]
        yield from self._line(obj.copy(), tool, speed / 2, track=name)
        yield from self._gripper(GRIPPER_CLOSED_DEG, 0.5)
        up = self._kin.fk(self._cmd, tool).position.copy()
        up[2] = travel
        yield from self._line(up, tool, speed / 2)
        yield LOOK
        return not self._measured_gap_closed()

    def _measured_gap_closed(self) -> bool:
        # An empty gripper closes to its limit; a held object keeps it well open.
        return bool(self._measured()[5] < math.radians(GRIPPER_CLOSED_DEG + 5))

    def _place(self, name: str, target: str, offset: np.ndarray) -> Plan:
        tool = self._tool_point(name)
        travel = self._travel
        yield LOOK
        goal = self._positions()[target] + offset
        radius = _half_width(self._task, name) if self._task else 0.02
        yield from self._line(np.array([goal[0], goal[1], travel]), tool, self._speed)
        drop = np.array([goal[0], goal[1], goal[2] + radius + 0.012])
        yield from self._line(drop, tool, self._speed / 2)
        yield from self._gripper(GRIPPER_RELEASE_DEG, 0.3)
        up = drop.copy()
        up[2] = travel
        yield from self._line(up, tool, self._speed / 2)

    def _lift(self, name: str, height: float) -> Plan:
        tool = self._tool_point(name)
        here = self._kin.fk(self._cmd, tool).position
        goal = np.array([min(here[0], 0.15), here[1] * 0.5, height])
        yield from self._line(goal, tool, self._speed / 2, approach=None)
        yield from self._settle(max_seconds=1.0)

    def _go_rest(self, seconds: float = 1.5) -> Plan:
        start = self._cmd.copy()
        rest = so101.rest_pose_radians()
        ticks = max(1, round(seconds / self._dt))
        for i in range(1, ticks + 1):
            s = 0.5 - 0.5 * math.cos(math.pi * i / ticks)  # smooth start and stop
            self._cmd = start + (rest - start) * s
            yield self._cmd.copy()
        yield from self._settle(max_seconds=1.0)
