"""Tasks are data: the registry, and the PickOrange replica's numbers."""

from __future__ import annotations

import pytest

from leisaac_core.tasks import TASKS, get_task


def test_registry_has_both_tasks() -> None:
    assert set(TASKS) >= {"so101_pick_orange", "so101_lift_cube"}
    assert get_task("so101_lift_cube").leisaac_id == "LeIsaac-SO101-LiftCube-v0"


def test_unknown_task_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="so101_lift_cube.*so101_pick_orange"):
        get_task("so101_pick_apple")


def test_pick_orange_matches_leisaac() -> None:
    task = get_task("so101_pick_orange")
    assert task.leisaac_id == "LeIsaac-SO101-PickOrange-v0"
    assert task.robot_type == "so101_follower"
    assert task.episode_time_s == 25.0
    assert task.camera_names == ("front", "wrist")
    oranges = [o for o in task.objects if o.name.startswith("orange")]
    assert len(oranges) == 3 and all(o.movable and o.xy_jitter == 0.03 for o in oranges)
    assert task.object("plate").xy_jitter == 0.03
    front = next(c for c in task.cameras if c.name == "front")
    assert (front.pos_jitter, front.rot_jitter_deg, front.mount) == (0.025, 2.5, None)
    wrist = next(c for c in task.cameras if c.name == "wrist")
    assert wrist.mount == "gripper"


def test_unknown_object_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no object 'banana'"):
        get_task("so101_pick_orange").object("banana")


def test_clean_toy_table_tasks_match_leisaac() -> None:
    from leisaac_core.tasks import All, ArmAtRest, ObjectsNear

    text = "Pick two letter e objects into the box, and reset the arm to rest state."
    one, two = get_task("so101_clean_toy_table"), get_task("bi_so101_clean_toy_table")
    assert one.leisaac_id == "LeIsaac-SO101-CleanToyTable-v0"
    assert two.leisaac_id == "LeIsaac-SO101-CleanToyTable-BiArm-v0"
    assert one.task_text == two.task_text == text
    assert (one.robot_type, two.robot_type) == ("so101_follower", "bi_so101_follower")
    assert one.camera_names == ("front", "wrist")
    assert two.camera_names == ("left_wrist", "right_wrist", "top")
    rule = All((ObjectsNear(("toy_1", "toy_2"), "box", tol_xy=0.05, tol_z=0.10), ArmAtRest(30.0)))
    assert one.success == two.success == rule
    assert one.object("box").xy_jitter == 0.05  # LeIsaac randomizes the box by +-5 cm
    # Two arms 0.45 m apart (LeIsaac's bi-arm scene), left at +y, each wrist camera on its arm.
    assert [(a.name, a.base) for a in two.arms] == [
        ("left", (0.0, 0.225, 0.0)),
        ("right", (0.0, -0.225, 0.0)),
    ]
    assert [(c.name, c.arm, c.mount) for c in two.cameras[:2]] == [
        ("left_wrist", "left", "gripper"),
        ("right_wrist", "right", "gripper"),
    ]


def test_joint_feature_names_follow_lerobots_bimanual_layout() -> None:
    from leisaac_core import so101

    assert get_task("so101_clean_toy_table").joint_feature_names == so101.JOINT_FEATURE_NAMES
    names = get_task("bi_so101_clean_toy_table").joint_feature_names
    assert names[:6] == tuple(f"left_{n}" for n in so101.JOINT_FEATURE_NAMES)
    assert names[6:] == tuple(f"right_{n}" for n in so101.JOINT_FEATURE_NAMES)
    assert names[0] == "left_shoulder_pan.pos" and names[-1] == "right_gripper.pos"


def test_a_task_refuses_a_camera_on_an_arm_it_lacks() -> None:
    from dataclasses import replace

    from leisaac_core.tasks.so101_cameras import arm_wrist_camera

    task = get_task("so101_clean_toy_table")
    with pytest.raises(ValueError, match="camera 'left_wrist' is on arm 'left'"):
        replace(task, cameras=(arm_wrist_camera("left"),))
