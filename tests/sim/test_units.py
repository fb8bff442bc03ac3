"""LeRobot normalized units <-> sim radians (LeIsaac's linear map)."""

from __future__ import annotations

import numpy as np

from leisaac_core import so101


def test_round_trip_over_the_whole_range() -> None:
    rng = np.random.default_rng(0)
    lo = np.array([so101.MOTOR_RANGE[j][0] for j in so101.JOINTS])
    hi = np.array([so101.MOTOR_RANGE[j][1] for j in so101.JOINTS])
    normalized = rng.uniform(lo, hi, size=(200, 6))
    for n in normalized:
        back = so101.radians_to_normalized(so101.normalized_to_radians(n))
        np.testing.assert_allclose(back, n, atol=1e-4)
        assert back.dtype == np.float32


def test_range_ends_map_to_joint_limits() -> None:
    lo = np.array([so101.MOTOR_RANGE[j][0] for j in so101.JOINTS])
    hi = np.array([so101.MOTOR_RANGE[j][1] for j in so101.JOINTS])
    np.testing.assert_allclose(
        np.rad2deg(so101.normalized_to_radians(lo)),
        [so101.JOINT_LIMITS_DEG[j][0] for j in so101.JOINTS],
    )
    np.testing.assert_allclose(
        np.rad2deg(so101.normalized_to_radians(hi)),
        [so101.JOINT_LIMITS_DEG[j][1] for j in so101.JOINTS],
    )


def test_known_values() -> None:
    # Arm 0 is the middle of the joint range: elbow (-100..90 deg) -> -5 deg.
    # Gripper 0 is closed (-10 deg), 100 fully open (100 deg).
    deg = np.rad2deg(so101.normalized_to_radians(np.array([0, 0, 0, 0, 0, 0.0])))
    np.testing.assert_allclose(deg, [0, 0, -5, 0, 0, -10])
    rest = so101.radians_to_normalized(so101.rest_pose_radians())
    np.testing.assert_allclose(rest, [0, -100, 100, 100 * 50 / 95, 0, 0], atol=1e-4)
