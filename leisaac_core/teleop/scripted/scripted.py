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
from collections.abc import Mapping
from typing import Any

import numpy as np

from leisaac_core import so101
from leisaac_core.kinematics import SO101Kinematics
from leisaac_core.sim import info
from leisaac_core.sim.base import Env, Step
from leisaac_core.tasks import ArmAtRest, ObjectAbove, ObjectsNear, TaskSpec, flatten, get_task
from leisaac_core.teleop.base import DeviceError, DeviceHealth
from leisaac_core.teleop.scripted.arm import ArmScript, ArmView, Look, Plan, Style
from leisaac_core.teleop.scripted.bimanual import plan_arms
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig

# Objects placed on a target spread on a circle of this radius around its centre.
PLACE_SPREAD = 0.03


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
        self._seed: int | None = None
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
        self._seed = seed

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
        while isinstance(target := next(self._script), Look):
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

    # --- planning (the plan yields LOOK before each read of the observation) -------------
    def _positions(self, arm: str | None = None) -> Mapping[str, np.ndarray]:
        assert self._step is not None
        return info.positions_in_base_frame(self._step.info, arm)

    def _yaws(self, arm: str | None) -> Mapping[str, float]:
        assert self._step is not None
        return info.yaws_in_base_frame(self._step.info, arm)

    def _measured(self, arm_index: int = 0) -> np.ndarray:
        assert self._step is not None
        joints = np.asarray(self._step.info[info.JOINT_RADIANS], dtype=np.float64)
        return joints[so101.arm_slice(arm_index)]

    def _arm(self, index: int, start: np.ndarray, style: Style) -> ArmScript:
        """The motions of the task's arm number `index`, seeing the scene from its base."""
        assert self._task is not None
        name = self._task.arms[index].name if len(self._task.arms) > 1 else None
        view = ArmView(
            lambda: self._positions(name), lambda: self._measured(index), lambda: self._yaws(name)
        )
        return ArmScript(
            self._task,
            view,
            self._kin,
            style,
            self._config.speed,
            self._config.travel_height,
            self._dt,
            start[so101.arm_slice(index)],
        )

    def _plan(self, start: np.ndarray) -> Plan:
        assert self._task is not None
        if len(self._task.arms) > 1:
            return plan_arms(self._task, self._seed, self._config.vary, start, self._arm)
        return self._plan_one_arm(start)

    def _plan_one_arm(self, start: np.ndarray) -> Plan:
        assert self._task is not None
        arm = self._arm(0, start, self._style)
        for rule in flatten(self._task.success):
            if isinstance(rule, ObjectsNear):
                for i, name in enumerate(rule.objects):
                    angle = 2 * math.pi * i / max(len(rule.objects), 1)
                    offset = PLACE_SPREAD * np.array([math.cos(angle), math.sin(angle), 0.0])
                    yield from arm.pick_and_place(name, rule, offset)
            elif isinstance(rule, ObjectAbove):
                yield from arm.pick_and_lift(rule.obj, rule.height)
            elif isinstance(rule, ArmAtRest):
                yield from arm.go_rest()
        while True:
            yield arm.cmd.copy()
