"""Leader-arm poses as servo ticks on the simulated bus, for gesture tests."""

from __future__ import annotations

import numpy as np

from leisaac_core import so101

# The calibration the leader tests load (every servo 1000..3000, wrist_roll the full turn).
CALIBRATION = {
    joint: {"id": i + 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, joint in enumerate(so101.JOINTS)
} | {
    "wrist_roll": {"id": 5, "drive_mode": 0, "homing_offset": 0, "range_min": 0, "range_max": 4095}
}
REST = so101.radians_to_normalized(so101.rest_pose_radians())  # gripper 0: closed
AWAY = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 50.0])


def with_gripper(pose: np.ndarray, gripper: float) -> np.ndarray:
    out = pose.copy()
    out[5] = gripper
    return out


def raw_ticks(normalized: np.ndarray) -> list[int]:
    """Servo ticks giving these normalized joints under CALIBRATION (drive mode 0)."""
    out = []
    for joint, n in zip(so101.JOINTS, normalized, strict=True):
        cal = CALIBRATION[joint]
        lo, hi = cal["range_min"], cal["range_max"]
        frac = n / 100 if joint == "gripper" else (n + 100) / 200
        out.append(round(lo + frac * (hi - lo)))
    return out
