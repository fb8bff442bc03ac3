"""Success rules evaluated on hand-built scene states (backend-neutral)."""

from __future__ import annotations

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.tasks import (
    All,
    ArmAtRest,
    ObjectAbove,
    ObjectsNear,
    SceneState,
    TaskSpec,
    flatten,
    get_task,
)

PLATE = np.array([0.22, 0.15, 0.006])


def _pick_orange_state(
    offsets: dict[str, tuple[float, float, float]] | None = None,
    joints_deg: dict[str, float] | None = None,
) -> SceneState:
    offsets = offsets or {}
    positions = {"plate": PLATE.copy()}
    for i, name in enumerate(("orange_1", "orange_2", "orange_3")):
        default = (0.02 * (i - 1), 0.01, 0.028)
        positions[name] = PLATE + np.array(offsets.get(name, default))
    rest = dict(so101.REST_POSE_DEG)
    rest.update(joints_deg or {})
    joints = np.deg2rad([rest[j] for j in so101.JOINTS])
    return SceneState(object_positions=positions, joint_radians=joints)


@pytest.fixture
def pick_orange() -> TaskSpec:
    return get_task("so101_pick_orange")


def test_pick_orange_rule_is_leisaacs(pick_orange: TaskSpec) -> None:
    assert pick_orange.success == All(
        (
            ObjectsNear(("orange_1", "orange_2", "orange_3"), "plate", tol_xy=0.10, tol_z=0.07),
            ArmAtRest(30.0),
        )
    )


def test_all_oranges_on_plate_and_arm_at_rest_is_success(pick_orange: TaskSpec) -> None:
    assert pick_orange.success.holds(_pick_orange_state())
    # Just inside every tolerance still counts.
    edge = _pick_orange_state(
        offsets={"orange_1": (0.099, -0.099, 0.069)},
        joints_deg={"shoulder_pan": 29.9, "gripper": -10 + 29.9},
    )
    assert pick_orange.success.holds(edge)


@pytest.mark.parametrize(
    "offset", [(0.101, 0.0, 0.02), (0.0, -0.101, 0.02), (0.0, 0.0, 0.071), (0.0, 0.0, -0.08)]
)
def test_one_orange_outside_the_tolerance_is_not_success(
    pick_orange: TaskSpec, offset: tuple[float, float, float]
) -> None:
    assert not pick_orange.success.holds(_pick_orange_state(offsets={"orange_2": offset}))


@pytest.mark.parametrize("joint", so101.JOINTS)
def test_arm_away_from_rest_is_not_success(pick_orange: TaskSpec, joint: str) -> None:
    moved = {joint: so101.REST_POSE_DEG[joint] + 31.0}
    if joint == "shoulder_lift":  # -100 + 31 is reachable; -131 is not
        moved = {joint: -69.0}
    assert not pick_orange.success.holds(_pick_orange_state(joints_deg=moved))


def test_lift_cube_is_measured_from_the_robot_base() -> None:
    rule = get_task("so101_lift_cube").success
    assert rule == ObjectAbove("cube", 0.20)
    joints = so101.rest_pose_radians()
    base = np.array([0.0, 0.0, 0.05])

    def state(z: float) -> SceneState:
        return SceneState({"cube": np.array([0.2, 0.0, z])}, joints, robot_base=base)

    assert rule.holds(state(0.26))
    assert not rule.holds(state(0.24))  # 0.24 m above the floor is only 0.19 above the base


def test_rule_naming_a_missing_object_says_what_exists() -> None:
    state = SceneState({"plate": PLATE}, so101.rest_pose_radians())
    with pytest.raises(KeyError, match="orange_9.*plate"):
        ObjectsNear(("orange_9",), "plate", 0.1, 0.1).holds(state)


def test_flatten_lists_the_leaf_rules_in_order(pick_orange: TaskSpec) -> None:
    leaves = flatten(pick_orange.success)
    assert [type(r) for r in leaves] == [ObjectsNear, ArmAtRest]


def _toy_table_state(toys: dict[str, tuple[float, float, float]], arms: int, off_rest: int = -1):
    box = np.array([0.12, 0.0, 0.0015])
    positions = {"box": box, **{k: box + np.array(v) for k, v in toys.items()}}
    joints = so101.rest_pose_radians(arms)
    if off_rest >= 0:
        joints[so101.arm_slice(off_rest)][1] += np.radians(45)
    return SceneState(object_positions=positions, joint_radians=joints)


@pytest.mark.parametrize("task", ["so101_clean_toy_table", "bi_so101_clean_toy_table"])
def test_clean_toy_table_rule_is_leisaacs_objs_in_box(task: str) -> None:
    """Each toy within +-0.05 m of the box in x and y (LeIsaac checks no height), every arm
    at rest."""
    rule = get_task(task).success
    arms = len(get_task(task).arms)
    inside = {"toy_1": (0.03, -0.02, 0.015), "toy_2": (-0.049, 0.049, 0.06)}
    assert rule.holds(_toy_table_state(inside, arms))
    beside = {**inside, "toy_2": (0.051, 0.0, 0.015)}
    assert not rule.holds(_toy_table_state(beside, arms))
    for arm in range(arms):  # either arm away from its rest pose fails the rule
        assert not rule.holds(_toy_table_state(inside, arms, off_rest=arm))


def test_rest_pose_check_covers_every_arm() -> None:
    two = so101.rest_pose_radians(2)
    assert two.shape == (12,) and so101.at_rest(two)
    two[so101.arm_slice(1)][0] += np.radians(31)
    assert not so101.at_rest(two)
    with pytest.raises(ValueError, match="whole SO-101 arms"):
        so101.at_rest(np.zeros(7))
