"""Facts about the SO-101 arm shared by every backend and device.

Datasets store LeRobot's normalized motor units (arm joints -100..100, gripper 0..100);
simulators work in radians. The conversion is LeIsaac's linear map between the motor range
and the joint limits in degrees, so a dataset recorded here matches one recorded by LeIsaac.
"""

from __future__ import annotations

import math

import numpy as np

JOINTS: tuple[str, ...] = (
    "shoulder_pan",
    "shoulder_lift",
    "elbow_flex",
    "wrist_flex",
    "wrist_roll",
    "gripper",
)
# Feature names as lerobot writes them for observation.state and action.
JOINT_FEATURE_NAMES: tuple[str, ...] = tuple(f"{j}.pos" for j in JOINTS)

# Joint limits in degrees (LeIsaac's SO-101 follower USD).
JOINT_LIMITS_DEG: dict[str, tuple[float, float]] = {
    "shoulder_pan": (-110.0, 110.0),
    "shoulder_lift": (-100.0, 100.0),
    "elbow_flex": (-100.0, 90.0),
    "wrist_flex": (-95.0, 95.0),
    "wrist_roll": (-160.0, 160.0),
    "gripper": (-10.0, 100.0),
}
# Normalized motor range per joint: RANGE_M100_100 for the arm, RANGE_0_100 for the gripper.
MOTOR_RANGE: dict[str, tuple[float, float]] = {
    j: ((0.0, 100.0) if j == "gripper" else (-100.0, 100.0)) for j in JOINTS
}
# LeIsaac's rest pose in degrees; success rules accept +-REST_TOLERANCE_DEG on each joint.
REST_POSE_DEG: dict[str, float] = {
    "shoulder_pan": 0.0,
    "shoulder_lift": -100.0,
    "elbow_flex": 90.0,
    "wrist_flex": 50.0,
    "wrist_roll": 0.0,
    "gripper": -10.0,
}
REST_TOLERANCE_DEG = 30.0

_M_LO = np.array([MOTOR_RANGE[j][0] for j in JOINTS])
_M_HI = np.array([MOTOR_RANGE[j][1] for j in JOINTS])
_U_LO = np.array([JOINT_LIMITS_DEG[j][0] for j in JOINTS])
_U_HI = np.array([JOINT_LIMITS_DEG[j][1] for j in JOINTS])


def normalized_to_radians(normalized: np.ndarray) -> np.ndarray:
    """Map normalized motor units (6,) to sim joint angles in radians (6,)."""
    n = np.asarray(normalized, dtype=np.float64)
    deg = (n - _M_LO) / (_M_HI - _M_LO) * (_U_HI - _U_LO) + _U_LO
    return np.deg2rad(deg)


def radians_to_normalized(radians: np.ndarray) -> np.ndarray:
    """Inverse of normalized_to_radians, as float32 for the dataset."""
    deg = np.rad2deg(np.asarray(radians, dtype=np.float64))
    n = (deg - _U_LO) / (_U_HI - _U_LO) * (_M_HI - _M_LO) + _M_LO
    return n.astype(np.float32)


def rest_pose_radians() -> np.ndarray:
    return np.array([math.radians(REST_POSE_DEG[j]) for j in JOINTS])


def at_rest(radians: np.ndarray, tolerance_deg: float = REST_TOLERANCE_DEG) -> bool:
    """LeIsaac's rest-pose check: every joint within the tolerance of the rest pose."""
    deg = np.rad2deg(np.asarray(radians, dtype=np.float64))
    rest = np.array([REST_POSE_DEG[j] for j in JOINTS])
    return bool(np.all(np.abs(deg - rest) <= tolerance_deg))
