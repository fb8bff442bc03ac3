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

REQUIRED_FOR_PLANNING = (JOINT_RADIANS, OBJECT_POSITIONS)
_IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def scene_info(
    joint_radians: np.ndarray,
    object_positions: Mapping[str, np.ndarray],
    robot_base: np.ndarray,
    robot_base_quat: np.ndarray = _IDENTITY,
    sim_time: float | None = None,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        JOINT_RADIANS: np.asarray(joint_radians, dtype=np.float64),
        OBJECT_POSITIONS: {k: np.asarray(v, dtype=np.float64) for k, v in object_positions.items()},
        ROBOT_BASE: np.asarray(robot_base, dtype=np.float64),
        ROBOT_BASE_QUAT: np.asarray(robot_base_quat, dtype=np.float64),
    }
    if sim_time is not None:
        info[SIM_TIME] = float(sim_time)
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


def positions_in_base_frame(info: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Object positions in the robot base frame (origin at the base, x forward, z up): the
    frame the SO-101 kinematics plan in. Without a base pose, the world frame is assumed."""
    base = np.asarray(info.get(ROBOT_BASE, np.zeros(3)), dtype=np.float64)
    rotation = quat_to_matrix(np.asarray(info.get(ROBOT_BASE_QUAT, _IDENTITY)))
    return {
        name: rotation.T @ (np.asarray(pos, dtype=np.float64) - base)
        for name, pos in info[OBJECT_POSITIONS].items()
    }
