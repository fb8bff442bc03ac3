"""The leader-arm calibration procedure as a small state machine.

The CLI and the web page drive the same object, and no call blocks on the operator:

    cal = LeaderCalibrator(arm, output_path)
    cal.start()            # torque off, unlocked, offsets cleared -> MID_POSE
    cal.sample()           # live positions while the operator centres every joint
    cal.mid_pose_done()    # Homing_Offset = position - 2047 -> RANGE
    cal.sample()           # call repeatedly while the operator sweeps every joint:
                           # live positions plus the min/max seen so far
    cal.finish()           # writes limits to the servos, saves the JSON -> DONE

Each call is at most one short bus exchange (sample: one sync read), so a web handler or a
terminal loop can call `sample()` at 10-30 Hz. Calls out of order raise CalibrationError.
One thread at a time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from leisaac_core.motors.feetech.control_table import MAX_TICK
from leisaac_core.so101 import JOINTS
from leisaac_core.teleop.so101_leader.arm_bus import LeaderArmBus
from leisaac_core.teleop.so101_leader.calibration import (
    FULL_TURN_JOINT,
    HOMING_OFFSET_LIMIT,
    MOTOR_IDS,
    Calibration,
    CalibrationError,
    MotorCalibration,
    save_calibration,
)

HALF_TURN = 2047  # lerobot: int(4095 / 2)


class CalibrationStep(enum.StrEnum):
    IDLE = "idle"
    MID_POSE = "mid_pose"
    RANGE = "range"
    DONE = "done"
    CANCELLED = "cancelled"


INSTRUCTIONS: dict[CalibrationStep, str] = {
    CalibrationStep.IDLE: "Calibration not started.",
    CalibrationStep.MID_POSE: "Move every joint of the leader arm to the middle of its range, then confirm.",
    CalibrationStep.RANGE: (
        "Move every joint except wrist_roll through its full range of motion, then confirm to save."
    ),
    CalibrationStep.DONE: "Calibration saved.",
    CalibrationStep.CANCELLED: "Calibration cancelled.",
}


@dataclass(frozen=True)
class CalibrationSample:
    """Live feedback: what the page or terminal shows the operator."""

    step: CalibrationStep
    positions: dict[str, int]
    range_min: dict[str, int]  # empty before the RANGE step
    range_max: dict[str, int]

    @property
    def instruction(self) -> str:
        return INSTRUCTIONS[self.step]

    def to_json(self) -> dict[str, object]:
        return {
            "step": self.step.value,
            "instruction": self.instruction,
            "positions": self.positions,
            "range_min": self.range_min,
            "range_max": self.range_max,
        }


class LeaderCalibrator:
    def __init__(self, arm: LeaderArmBus, output_path: Path, *, min_range_ticks: int = 100) -> None:
        self.arm = arm
        self.output_path = Path(output_path).expanduser()
        # A joint that moved less than this (~9 degrees) was not swept through its range.
        self.min_range_ticks = min_range_ticks
        self.step = CalibrationStep.IDLE
        self.homing_offsets: dict[str, int] = {}
        self.range_min: dict[str, int] = {}
        self.range_max: dict[str, int] = {}
        self.calibration: Calibration | None = None

    def start(self) -> CalibrationSample:
        """Open the arm if needed, torque off, Lock 0, clear old offsets and limits."""
        self._expect(CalibrationStep.IDLE, CalibrationStep.CANCELLED, CalibrationStep.DONE)
        if not self.arm.is_open:
            self.arm.open()
        self.arm.configure()
        self.arm.reset_calibration()
        self.homing_offsets, self.range_min, self.range_max = {}, {}, {}
        self.calibration = None
        self.step = CalibrationStep.MID_POSE
        return self.sample()

    def mid_pose_done(self) -> CalibrationSample:
        """Take the current pose as the middle: Homing_Offset = position - 2047."""
        self._expect(CalibrationStep.MID_POSE)
        positions = self._positions()
        offsets = {j: positions[j] - HALF_TURN for j in JOINTS}
        bad = [j for j, off in offsets.items() if abs(off) > HOMING_OFFSET_LIMIT]
        if bad:
            raise CalibrationError(
                f"{', '.join(bad)} reads {MAX_TICK} at the middle pose, the very end of its turn; "
                "move it a little away from that point and confirm again"
            )
        for joint, offset in offsets.items():
            self.arm.bus.write(MOTOR_IDS[joint], "Homing_Offset", offset)
        self.homing_offsets = offsets
        now = self._positions()
        self.range_min = {j: now[j] for j in JOINTS if j != FULL_TURN_JOINT}
        self.range_max = dict(self.range_min)
        self.step = CalibrationStep.RANGE
        return self.sample()

    def sample(self) -> CalibrationSample:
        """One sync read; during RANGE it also widens the recorded min/max."""
        if self.step in (CalibrationStep.MID_POSE, CalibrationStep.RANGE):
            positions = self._positions()
        else:
            positions = {}
        if self.step is CalibrationStep.RANGE:
            for joint in self.range_min:
                self.range_min[joint] = min(self.range_min[joint], positions[joint])
                self.range_max[joint] = max(self.range_max[joint], positions[joint])
        lows, highs = dict(self.range_min), dict(self.range_max)
        if self.step is CalibrationStep.RANGE:
            lows[FULL_TURN_JOINT], highs[FULL_TURN_JOINT] = 0, MAX_TICK
        return CalibrationSample(self.step, positions, lows, highs)

    def finish(self) -> Calibration:
        """Check every joint moved, write the limits to the servos, save the JSON file."""
        self._expect(CalibrationStep.RANGE)
        self.sample()
        unmoved = [
            f"{j} ({self.range_max[j] - self.range_min[j]} ticks)"
            for j in self.range_min
            if self.range_max[j] - self.range_min[j] < self.min_range_ticks
        ]
        if unmoved:
            raise CalibrationError(
                f"these joints barely moved: {', '.join(unmoved)}; move each through its full "
                "range of motion, then confirm again"
            )
        calibration = {
            joint: MotorCalibration(
                id=MOTOR_IDS[joint],
                drive_mode=0,
                homing_offset=self.homing_offsets[joint],
                range_min=0 if joint == FULL_TURN_JOINT else self.range_min[joint],
                range_max=MAX_TICK if joint == FULL_TURN_JOINT else self.range_max[joint],
            )
            for joint in JOINTS
        }
        self.arm.write_calibration(calibration)
        save_calibration(self.output_path, calibration)
        self.calibration = calibration
        self.step = CalibrationStep.DONE
        return calibration

    def cancel(self) -> None:
        """Abandon the procedure; nothing is saved. The servos keep whatever was written so
        far, so the arm must be calibrated (or a file re-applied on connect) before use."""
        self.step = CalibrationStep.CANCELLED

    def _positions(self) -> dict[str, int]:
        raw = self.arm.read_positions()
        return {joint: int(raw[i]) for i, joint in enumerate(JOINTS)}

    def _expect(self, *steps: CalibrationStep) -> None:
        if self.step not in steps:
            allowed = " or ".join(s.value for s in steps)
            raise CalibrationError(
                f"calibration is at step {self.step.value!r}; this action needs {allowed}"
            )
