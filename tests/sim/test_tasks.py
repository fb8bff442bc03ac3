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
