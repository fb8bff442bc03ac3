"""Facts about the SO-101 arm shared by every backend and device.

Envs and devices speak LeRobot's normalized motor units (arm joints -100..100, gripper
0..100); simulators work in radians. The conversion is LeIsaac's linear map between the
motor range and the joint limits in degrees, so a dataset recorded in these units matches
one recorded by LeIsaac.

A dataset may store other units (see leisaac_core.dataset.identity): UNITS names them, and
`to_units` / `from_units` map normalized values to them and back. "degrees" is what
lerobot's real SO follower records with `use_degrees=True` (its default since 0.4.3): body
joints in degrees (here: the sim joint angle), the gripper 0..100 as before.
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
    """Map normalized motor units (..., 6 * arms) to sim joint angles in radians."""
    n = _per_joint(normalized)
    deg = (n - _M_LO) / (_M_HI - _M_LO) * (_U_HI - _U_LO) + _U_LO
    return np.deg2rad(deg).reshape(np.shape(normalized))


def radians_to_normalized(radians: np.ndarray) -> np.ndarray:
    """Inverse of normalized_to_radians, as float32 for the dataset."""
    deg = np.rad2deg(_per_joint(radians))
    n = (deg - _U_LO) / (_U_HI - _U_LO) * (_M_HI - _M_LO) + _M_LO
    return n.reshape(np.shape(radians)).astype(np.float32)


# Units a dataset may store observation.state and action in.
UNITS: tuple[str, ...] = ("normalized", "degrees")


def _per_joint(values: np.ndarray) -> np.ndarray:
    """Joint-wise view (..., arms, 6) of values (..., 6 * arms): two-arm layouts repeat the
    arm's six joints (left_*, right_*)."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape[-1] == 0 or v.shape[-1] % len(JOINTS):
        raise ValueError(
            f"joint values of size {v.shape[-1]} are not whole SO-101 arms of {len(JOINTS)} joints"
        )
    return v.reshape(*v.shape[:-1], v.shape[-1] // len(JOINTS), len(JOINTS))


def _check_units(units: str) -> None:
    if units not in UNITS:
        raise ValueError(f"unknown joint units {units!r}; choose one of {list(UNITS)}")


def to_units(normalized: np.ndarray, units: str) -> np.ndarray:
    """Normalized motor units (..., 6 * arms) in `units`, as float32.

    degrees: body joints through LeIsaac's map to joint degrees, the gripper unchanged
    (0..100 in both). The map is linear and increasing per joint (see `unit_scale`)."""
    _check_units(units)
    if units == "normalized":
        return np.asarray(normalized, dtype=np.float32)
    scale, offset = unit_scale(units)
    v = _per_joint(normalized)
    return (v * scale + offset).reshape(np.shape(normalized)).astype(np.float32)


def from_units(values: np.ndarray, units: str) -> np.ndarray:
    """Inverse of to_units: values in `units` back to normalized motor units, as float32."""
    _check_units(units)
    if units == "normalized":
        return np.asarray(values, dtype=np.float32)
    scale, offset = unit_scale(units)
    v = _per_joint(values)
    return ((v - offset) / scale).reshape(np.shape(values)).astype(np.float32)


def unit_scale(units: str) -> tuple[np.ndarray, np.ndarray]:
    """Per joint (6,): `units` = normalized * scale + offset, scale > 0 (so min, max,
    quantiles map to min, max, quantiles, and std scales by `scale`)."""
    _check_units(units)
    if units == "normalized":
        return np.ones(len(JOINTS)), np.zeros(len(JOINTS))
    scale = (_U_HI - _U_LO) / (_M_HI - _M_LO)
    offset = _U_LO - _M_LO * scale
    gripper = JOINTS.index("gripper")
    scale[gripper], offset[gripper] = 1.0, 0.0
    return scale, offset


def rest_pose_radians(arms: int = 1) -> np.ndarray:
    return np.tile([math.radians(REST_POSE_DEG[j]) for j in JOINTS], arms)


def at_rest(radians: np.ndarray, tolerance_deg: float = REST_TOLERANCE_DEG) -> bool:
    """LeIsaac's rest-pose check: every joint of every arm (6 * arms values, arm after arm)
    within the tolerance of the rest pose."""
    deg = np.rad2deg(_per_joint(radians))
    rest = np.array([REST_POSE_DEG[j] for j in JOINTS])
    return bool(np.all(np.abs(deg - rest) <= tolerance_deg))


def arm_slice(arm_index: int) -> slice:
    """Where arm number `arm_index` sits in a joint vector of several arms."""
    return slice(arm_index * len(JOINTS), (arm_index + 1) * len(JOINTS))
