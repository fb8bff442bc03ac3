"""Leader-arm calibration in lerobot's JSON format, and LeIsaac's normalization.

A file lerobot wrote for an SO-101 leader (`lerobot-calibrate --teleop.type=so101_leader`)
works here unchanged, and a file written here works in lerobot:

    {"shoulder_pan": {"id": 1, "drive_mode": 0, "homing_offset": 731,
                      "range_min": 510, "range_max": 2123}, ...}

Normalization is lerobot's for a Feetech bus (drive mode applied), with the modes LeIsaac
uses: RANGE_M100_100 for the five arm joints and RANGE_0_100 for the gripper.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from leisaac_core.config import default_dataset_root
from leisaac_core.motors.feetech.control_table import MAX_TICK
from leisaac_core.so101 import JOINTS

MOTOR_IDS: dict[str, int] = {joint: i for i, joint in enumerate(JOINTS, start=1)}
HOMING_OFFSET_LIMIT = 2047  # sign-magnitude with the sign in bit 11
FULL_TURN_JOINT = "wrist_roll"  # rotates freely: its range is fixed to the whole turn
# lerobot >= 0.4 keeps SO-100/SO-101 leader files under "so_leader"; older under "so101_leader".
CALIBRATION_SUBDIRS = ("teleoperators/so_leader", "teleoperators/so101_leader")


class CalibrationError(ValueError):
    """A calibration file or procedure is unusable; the message says how to fix it."""


@dataclass(frozen=True)
class MotorCalibration:
    id: int
    drive_mode: int
    homing_offset: int
    range_min: int
    range_max: int


Calibration = dict[str, MotorCalibration]


def calibration_root() -> Path:
    """lerobot's $HF_LEROBOT_CALIBRATION, default <HF_LEROBOT_HOME>/calibration."""
    if root := os.environ.get("HF_LEROBOT_CALIBRATION"):
        return Path(root).expanduser()
    return default_dataset_root() / "calibration"


def default_calibration_path(arm_id: str) -> Path:
    """Where lerobot keeps this leader's file; an existing older-layout file is preferred
    over a missing new-layout one so a user's earlier calibration is found."""
    root = calibration_root()
    candidates = [root / sub / f"{arm_id}.json" for sub in CALIBRATION_SUBDIRS]
    for path in candidates:
        if path.is_file():
            return path
    return candidates[0]


def load_calibration(path: Path) -> Calibration:
    path = Path(path).expanduser()
    if not path.is_file():
        raise CalibrationError(
            f"no calibration file at {path}; run `leisaac-dashboard leader calibrate` "
            "or pass the path of an existing lerobot calibration file"
        )
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CalibrationError(f"cannot read calibration file {path}: {exc}") from exc
    return parse_calibration(raw, source=str(path))


def parse_calibration(raw: object, source: str = "calibration") -> Calibration:
    if not isinstance(raw, Mapping):
        raise CalibrationError(f"{source}: expected a JSON object keyed by joint name")
    missing = [j for j in JOINTS if j not in raw]
    if missing:
        raise CalibrationError(
            f"{source}: missing joint(s) {', '.join(missing)}; an SO-101 leader file has "
            f"{', '.join(JOINTS)}"
        )
    calibration: Calibration = {}
    for joint in JOINTS:
        entry = raw[joint]
        try:
            motor = MotorCalibration(**{k: int(entry[k]) for k in MotorCalibration.__annotations__})
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(
                f"{source}: joint {joint!r} needs integer id, drive_mode, homing_offset, "
                f"range_min, range_max ({exc!r})"
            ) from exc
        if motor.id != MOTOR_IDS[joint]:
            raise CalibrationError(
                f"{source}: joint {joint!r} has id {motor.id}, the SO-101 leader uses "
                f"{MOTOR_IDS[joint]}"
            )
        if not 0 <= motor.range_min < motor.range_max <= MAX_TICK:
            raise CalibrationError(
                f"{source}: joint {joint!r} range {motor.range_min}..{motor.range_max} is not "
                f"an increasing range within 0..{MAX_TICK}; calibrate again"
            )
        if abs(motor.homing_offset) > HOMING_OFFSET_LIMIT:
            raise CalibrationError(
                f"{source}: joint {joint!r} homing_offset {motor.homing_offset} is outside "
                f"+-{HOMING_OFFSET_LIMIT}; calibrate again"
            )
        if motor.drive_mode not in (0, 1):
            raise CalibrationError(f"{source}: joint {joint!r} drive_mode must be 0 or 1")
        calibration[joint] = motor
    return calibration


def save_calibration(path: Path, calibration: Calibration) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {joint: asdict(calibration[joint]) for joint in JOINTS}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(body, indent=4) + "\n")
    os.replace(tmp, path)


class Normalizer:
    """Raw Present_Position ticks (6,) -> normalized units (6,) float32, vectorized."""

    def __init__(self, calibration: Calibration) -> None:
        self._min = np.array([calibration[j].range_min for j in JOINTS], dtype=np.float64)
        self._max = np.array([calibration[j].range_max for j in JOINTS], dtype=np.float64)
        self._inverted = np.array([calibration[j].drive_mode == 1 for j in JOINTS])
        self._is_gripper = np.array([j == "gripper" for j in JOINTS])

    def __call__(self, raw_ticks: np.ndarray) -> np.ndarray:
        bounded = np.clip(np.asarray(raw_ticks, dtype=np.float64), self._min, self._max)
        fraction = (bounded - self._min) / (self._max - self._min)
        arm = fraction * 200.0 - 100.0  # RANGE_M100_100
        arm = np.where(self._inverted, -arm, arm)
        gripper = fraction * 100.0  # RANGE_0_100
        gripper = np.where(self._inverted, 100.0 - gripper, gripper)
        return np.where(self._is_gripper, gripper, arm).astype(np.float32)
