"""`Step.info`: the privileged scene facts every backend reports, under one set of keys.

Never recorded as observations; the scripted demonstrator and QC read them. Both backends
build the dict with `scene_info` and consumers read it with the constants and
`positions_in_base_frame`, so the keys cannot drift between backends again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# float64 (6,): joint angles in radians, in `so101.JOINTS` order.
JOINT_RADIANS = "joint_radians"
# {task object name: float64 (3,)}: object positions in the scene's world frame (m), named
# as in the task's TaskSpec (`orange_1`, `plate`, ...), whatever the backend calls them.
OBJECT_POSITIONS = "object_positions"
# float64 (3,): the robot base's position in the same world frame.
ROBOT_BASE = "robot_base"
# float64 (4,): the robot base's orientation in that frame, quaternion (w, x, y, z).
ROBOT_BASE_QUAT = "robot_base_quat"
# float: simulated seconds since the last reset.
SIM_TIME = "sim_time"
# {arm name: float64 (3,)} and {arm name: float64 (4,) wxyz}: each arm's base pose in the
# world frame, for tasks with several arms (JOINT_RADIANS then holds 6 per arm, in the
# task's arm order; ROBOT_BASE is the first arm's).
ARM_BASES = "arm_bases"
ARM_BASE_QUATS = "arm_base_quats"
# {task object name: float64 (4,) wxyz}: object orientations in the world frame (optional: a
# demonstrator turns its grasp to a box's faces where it has them).
OBJECT_QUATS = "object_quats"

REQUIRED_FOR_PLANNING = (JOINT_RADIANS, OBJECT_POSITIONS)
_IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def scene_info(
    joint_radians: np.ndarray,
    object_positions: Mapping[str, np.ndarray],
    robot_base: np.ndarray,
    robot_base_quat: np.ndarray = _IDENTITY,
    sim_time: float | None = None,
    arm_bases: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    object_quats: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        JOINT_RADIANS: np.asarray(joint_radians, dtype=np.float64),
        OBJECT_POSITIONS: {k: np.asarray(v, dtype=np.float64) for k, v in object_positions.items()},
        ROBOT_BASE: np.asarray(robot_base, dtype=np.float64),
        ROBOT_BASE_QUAT: np.asarray(robot_base_quat, dtype=np.float64),
    }
    if sim_time is not None:
        info[SIM_TIME] = float(sim_time)
    if object_quats:
        info[OBJECT_QUATS] = {k: np.asarray(q, dtype=np.float64) for k, q in object_quats.items()}
    if arm_bases:
        info[ARM_BASES] = {k: np.asarray(p, dtype=np.float64) for k, (p, _) in arm_bases.items()}
        info[ARM_BASE_QUATS] = {
            k: np.asarray(q, dtype=np.float64) for k, (_, q) in arm_bases.items()
        }
    return info


def quat_to_matrix(quat_wxyz: np.ndarray) -> np.ndarray:
    w, x, y, z = np.asarray(quat_wxyz, dtype=np.float64) / np.linalg.norm(quat_wxyz)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def _base_pose(info: Mapping[str, Any], arm: str | None) -> tuple[np.ndarray, np.ndarray]:
    if arm is not None:
        base = np.asarray(info[ARM_BASES][arm], dtype=np.float64)
        return base, quat_to_matrix(np.asarray(info[ARM_BASE_QUATS][arm]))
    base = np.asarray(info.get(ROBOT_BASE, np.zeros(3)), dtype=np.float64)
    return base, quat_to_matrix(np.asarray(info.get(ROBOT_BASE_QUAT, _IDENTITY)))


def yaws_in_base_frame(info: Mapping[str, Any], arm: str | None = None) -> dict[str, float]:
    """Each object's heading about the vertical in a robot base frame (rad; its x axis's
    direction across the table), where the backend reports orientations (else empty)."""
    _, rotation = _base_pose(info, arm)
    out = {}
    for name, quat in dict(info.get(OBJECT_QUATS) or {}).items():
        x_axis = rotation.T @ quat_to_matrix(np.asarray(quat))[:, 0]
        out[name] = float(np.arctan2(x_axis[1], x_axis[0]))
    return out


def positions_in_base_frame(
    info: Mapping[str, Any], arm: str | None = None
) -> dict[str, np.ndarray]:
    """Object positions in a robot base frame (origin at the base, x forward, z up): the
    frame the SO-101 kinematics plan in; `arm` names one arm of several (ARM_BASES), None
    the robot's base. Without a base pose, the world frame is assumed."""
    base, rotation = _base_pose(info, arm)
    return {
        name: rotation.T @ (np.asarray(pos, dtype=np.float64) - base)
        for name, pos in info[OBJECT_POSITIONS].items()
    }
