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
