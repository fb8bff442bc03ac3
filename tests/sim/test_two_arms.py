"""The two-arm MuJoCo scene: two SO-101s composed from one model, 12 joints in lerobot's
bimanual order, three cameras, each arm driven by its half of the action."""

from __future__ import annotations

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.sim import info

TASK = "bi_so101_clean_toy_table"


def _rest(arms: int = 2) -> np.ndarray:
    return so101.radians_to_normalized(so101.rest_pose_radians(arms))


def test_describes_two_arms_like_lerobot_and_leisaac(make_mujoco_env) -> None:
    env = make_mujoco_env(TASK)
    assert env.joint_names[:2] == ("left_shoulder_pan.pos", "left_shoulder_lift.pos")
    assert env.joint_names[6:8] == ("right_shoulder_pan.pos", "right_shoulder_lift.pos")
    assert len(env.joint_names) == 12
    assert env.robot_type == "bi_so101_follower"
    assert [c.name for c in env.cameras] == ["left_wrist", "right_wrist", "top"]
    step = env.reset(seed=0)
    assert step.state.shape == (12,) and step.state.dtype == np.float32
    assert set(step.images) == {"left_wrist", "right_wrist", "top"}
    assert all(float(img.std()) > 5.0 for img in step.images.values())
    assert so101.at_rest(step.info[info.JOINT_RADIANS], tolerance_deg=3.0)
    bases = step.info[info.ARM_BASES]
    np.testing.assert_allclose(bases["left"], [0.0, 0.225, 0.0], atol=1e-9)
    np.testing.assert_allclose(bases["right"], [0.0, -0.225, 0.0], atol=1e-9)
    np.testing.assert_allclose(step.info[info.ROBOT_BASE], bases["left"])


def test_each_half_of_the_action_drives_its_own_arm(make_mujoco_env) -> None:
    env = make_mujoco_env(TASK)
    env.reset(seed=0)
    action = _rest()
    action[6] = 30.0  # the right arm's shoulder pan only
    for _ in range(45):
        step = env.step(action)
    assert abs(float(step.state[6]) - 30.0) < 3.0
    np.testing.assert_allclose(step.state[:6], _rest(1), atol=2.0)  # the left arm stays


def test_objects_seen_from_each_arms_base(make_mujoco_env) -> None:
    env = make_mujoco_env(TASK)
    step = env.reset(seed=3)
    world = step.info[info.OBJECT_POSITIONS]
    left = info.positions_in_base_frame(step.info, "left")
    right = info.positions_in_base_frame(step.info, "right")
    np.testing.assert_allclose(left["toy_1"], world["toy_1"] - [0, 0.225, 0], atol=1e-9)
    np.testing.assert_allclose(right["toy_2"], world["toy_2"] + [0, 0.225, 0], atol=1e-9)
    # Each toy starts in front of its own arm, within its reach.
    assert np.linalg.norm(left["toy_1"][:2]) < 0.27 and np.linalg.norm(right["toy_2"][:2]) < 0.27
    assert info.yaws_in_base_frame(step.info, "left")["toy_1"] == pytest.approx(0.0, abs=1e-6)


def test_a_six_joint_action_is_refused_with_the_twelve_names(make_mujoco_env) -> None:
    env = make_mujoco_env(TASK)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(12,\).*left_shoulder_pan\.pos.*right_gripper"):
        env.step(np.zeros(6))


def test_same_seed_same_scene_and_images(make_mujoco_env) -> None:
    env = make_mujoco_env(TASK)
    first = env.reset(seed=5)
    images = {k: v.copy() for k, v in first.images.items()}
    again = env.reset(seed=5)
    for name, image in images.items():
        np.testing.assert_array_equal(again.images[name], image)
    other = env.reset(seed=6).info[info.OBJECT_POSITIONS]
    assert not np.allclose(other["box"], first.info[info.OBJECT_POSITIONS]["box"])


def test_hosted_two_arm_env_matches_in_process(make_mujoco_env) -> None:
    plain, hosted = make_mujoco_env(TASK), make_mujoco_env(TASK, hosted=True)
    assert hosted.joint_names == plain.joint_names
    assert [c.name for c in hosted.cameras] == [c.name for c in plain.cameras]
    action = _rest()
    action[0] = 20.0
    a = [plain.reset(seed=1)] + [plain.step(action) for _ in range(3)]
    b = [hosted.reset(seed=1)] + [hosted.step(action) for _ in range(3)]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.state, y.state)
        for name in x.images:
            np.testing.assert_array_equal(x.images[name], y.images[name])
