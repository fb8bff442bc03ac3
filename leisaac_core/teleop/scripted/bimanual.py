"""The scripted demonstrator's plan for a task with several arms.

Each object the success rule names goes to an arm that can reach it (the nearest; a seed
picks among arms that all can), each arm runs its own queue of picks and places and then
goes to rest, and the arms advance together, one tick at a time. Under a seed the episode
varies as two people's would: which arm starts, whether the arms work together, staggered
or in turn, each arm's speed, travel height, approach and grasp yaw (`Style`, per arm), and
where in the target each object is set down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from leisaac_core.tasks import ArmAtRest, ObjectAbove, ObjectsNear, TaskSpec, flatten
from leisaac_core.teleop.scripted.arm import LOOK, ArmScript, Look, Plan, Style

# An arm reaches objects this far from its base (x, y) with a top-down grasp.
REACH_M = 0.30
# Objects set down on a target sit this far from its centre, towards the arm's base.
PLACE_SPREAD = 0.03
TIMINGS = ("together", "staggered", "in_turn")

MakeArm = Callable[[int, np.ndarray, Style], ArmScript]


@dataclass(frozen=True)
class Teamwork:
    """How the arms share an episode."""

    lead: int = 0  # the arm that starts
    timing: str = "together"  # TIMINGS
    delay_s: float = 0.0  # how long the others wait ("together", "staggered")
    place_turn_rad: float = 0.0  # turns each arm's set-down spot about the target

    @classmethod
    def from_seed(cls, seed: int, arms: int) -> Teamwork:
        rng = np.random.default_rng([seed, 0xB1A4])
        timing = TIMINGS[int(rng.integers(len(TIMINGS)))]
        delay = rng.uniform(0.0, 0.5) if timing == "together" else rng.uniform(1.0, 3.0)
        return cls(
            lead=int(rng.integers(arms)),
            timing=timing,
            delay_s=float(delay),
            place_turn_rad=float(rng.uniform(-0.5, 0.5)),
        )


def assign(task: TaskSpec, arms: list[ArmScript], objects: tuple[str, ...], seed: int | None):
    """For each object, the index of the arm that handles it."""
    rng = np.random.default_rng([seed or 0, 0xA551])
    out: dict[str, int] = {}
    for name in objects:
        reach = [arm.distance_to(name) for arm in arms]
        able = [i for i, d in enumerate(reach) if d <= REACH_M]
        if len(able) > 1 and seed is not None:
            out[name] = int(rng.choice(able))
        else:
            out[name] = int(np.argmin(reach))
    return out


def plan_arms(
    task: TaskSpec,
    seed: int | None,
    vary: bool,
    start: np.ndarray,
    make_arm: MakeArm,
) -> Plan:
    """Joint targets (radians, 6 per arm) for every tick of the episode; LOOK before an arm
    reads the observation (the arms before it in this tick moved open loop)."""
    n = len(task.arms)
    varied = vary and seed is not None
    styles = [Style.from_seed(seed, i) if varied else Style() for i in range(n)]  # type: ignore[arg-type]
    team = Teamwork.from_seed(seed, n) if varied else Teamwork()  # type: ignore[arg-type]
    arms = [make_arm(i, start, styles[i]) for i in range(n)]
    queues: list[list[Callable[[], Plan]]] = [[] for _ in arms]
    rest = False
    for rule in flatten(task.success):
        if isinstance(rule, ObjectsNear):
            owners = assign(task, arms, rule.objects, seed if varied else None)
            for i, arm in enumerate(arms):
                mine = [o for o in rule.objects if owners[o] == i]
                for k, name in enumerate(mine):
                    offset = _place_offset(arm, rule.target, team.place_turn_rad + math.pi * k)
                    queues[i].append(_bind(arm.pick_and_place, name, rule, offset))
        elif isinstance(rule, ObjectAbove):
            owner = assign(task, arms, (rule.obj,), None)[rule.obj]
            queues[owner].append(_bind(arms[owner].pick_and_lift, rule.obj, rule.height))
        elif isinstance(rule, ArmAtRest):
            rest = True
    finished = [False] * n
    programs = [_program(i, arms[i], queues[i], rest, team, finished) for i in range(len(arms))]
    while True:
        targets = []
        for program in programs:
            while isinstance(target := next(program), Look):
                yield LOOK
            targets.append(target)
        yield np.concatenate(targets)


def _bind(motion: Callable[..., Plan], *args) -> Callable[[], Plan]:
    return lambda: motion(*args)


def _place_offset(arm: ArmScript, target: str, turn: float) -> np.ndarray:
    """PLACE_SPREAD from the target's centre towards the arm's base, turned by `turn`."""
    towards = -arm.position_of(target)[:2]
    angle = math.atan2(towards[1], towards[0]) + turn
    return PLACE_SPREAD * np.array([math.cos(angle), math.sin(angle), 0.0])


def _program(
    index: int,
    arm: ArmScript,
    queue: list[Callable[[], Plan]],
    rest: bool,
    team: Teamwork,
    finished: list[bool],
) -> Plan:
    """One arm's ticks: wait its turn, work its queue, rest, then hold."""
    if index != team.lead and queue:
        if team.timing == "in_turn":
            while not finished[team.lead]:
                yield arm.cmd.copy()
        else:
            yield from arm.hold(team.delay_s)
    for motion in queue:
        yield from motion()
    finished[index] = True
    if rest and queue:
        yield from arm.go_rest()
    while True:
        yield arm.cmd.copy()
