"""The SO-101 leader's six servos on one Feetech bus, addressed by joint name.

Shared by the teleop device, the calibration procedure and the CLI. Errors are the bus's
`MotorBusError` subclasses with messages that name joints rather than bare ids.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from leisaac_core.motors.feetech import STS3215_MODEL_NUMBER, FeetechBus, NoResponseError
from leisaac_core.motors.feetech.control_table import MAX_TICK, OPERATING_MODE_POSITION
from leisaac_core.so101 import JOINTS
from leisaac_core.teleop.so101_leader.calibration import MOTOR_IDS, Calibration, MotorCalibration

log = logging.getLogger(__name__)

IDS: tuple[int, ...] = tuple(MOTOR_IDS[j] for j in JOINTS)
_JOINT_BY_ID = {i: j for j, i in MOTOR_IDS.items()}
ACCELERATION = 254


def describe_motors(motor_ids: Sequence[int]) -> str:
    """'elbow_flex (id 3), gripper (id 6)'."""
    return ", ".join(f"{_JOINT_BY_ID.get(i, 'unknown joint')} (id {i})" for i in motor_ids)


class LeaderArmBus:
    """Open, configure and read the leader's servos. One owner thread."""

    def __init__(
        self, port: str, *, baudrate: int = 1_000_000, timeout_s: float = 0.05, retries: int = 2
    ) -> None:
        self.bus = FeetechBus(port, baudrate=baudrate, timeout_s=timeout_s, retries=retries)

    @property
    def port(self) -> str:
        return self.bus.port

    @property
    def is_open(self) -> bool:
        return self.bus.is_open

    def open(self) -> None:
        """Open the port and ping every servo; a silent servo is reported by joint name."""
        self.bus.open()
        try:
            silent = []
            for motor_id in IDS:
                try:
                    self.bus.ping(motor_id)
                except NoResponseError:
                    silent.append(motor_id)
            if silent:
                raise NoResponseError(
                    f"leader arm on {self.port}: no answer from {describe_motors(silent)}. "
                    "Check that the servo board's power supply is on, the daisy-chain cable "
                    "to that servo, and that the port is the leader's (not the follower's)",
                    silent,
                )
            models = self.bus.sync_read("Model_Number", IDS)
            wrong = {i: m for i, m in models.items() if m != STS3215_MODEL_NUMBER}
            if wrong:
                log.warning(
                    "leader arm on %s: unexpected model numbers %s (STS3215 is %d)",
                    self.port,
                    wrong,
                    STS3215_MODEL_NUMBER,
                )
        except BaseException:
            self.bus.close()
            raise

    def close(self) -> None:
        self.bus.close()

    def configure(self) -> None:
        """As lerobot configures a leader: torque off and unlocked (the operator moves it by
        hand), no return delay (a sync read then takes ~0.6 ms, not ~3.6 ms), acceleration
        254, position mode."""
        for motor_id in IDS:
            self.bus.write(motor_id, "Torque_Enable", 0)
            self.bus.write(motor_id, "Lock", 0)
            self.bus.write(motor_id, "Return_Delay_Time", 0)
            self.bus.write(motor_id, "Acceleration", ACCELERATION)
            self.bus.write(motor_id, "Operating_Mode", OPERATING_MODE_POSITION)

    def read_positions(self) -> np.ndarray:
        """Present_Position of all six servos in joint order (int64 ticks): ONE sync read."""
        values = self.bus.sync_read("Present_Position", IDS)
        return np.fromiter((values[i] for i in IDS), dtype=np.int64, count=len(IDS))

    def read_calibration(self) -> Calibration:
        """What the servos hold now (drive_mode is not stored on a servo: 0)."""
        homing = self.bus.sync_read("Homing_Offset", IDS)
        lows = self.bus.sync_read("Min_Position_Limit", IDS)
        highs = self.bus.sync_read("Max_Position_Limit", IDS)
        return {
            joint: MotorCalibration(
                id=MOTOR_IDS[joint],
                drive_mode=0,
                homing_offset=homing[MOTOR_IDS[joint]],
                range_min=lows[MOTOR_IDS[joint]],
                range_max=highs[MOTOR_IDS[joint]],
            )
            for joint in JOINTS
        }

    def write_calibration(self, calibration: Calibration) -> None:
        """Homing offset and position limits into each servo (EEPROM: torque off, Lock 0)."""
        for joint in JOINTS:
            motor = calibration[joint]
            self.bus.write(motor.id, "Torque_Enable", 0)
            self.bus.write(motor.id, "Lock", 0)
            self.bus.write(motor.id, "Homing_Offset", motor.homing_offset)
            self.bus.write(motor.id, "Min_Position_Limit", motor.range_min)
            self.bus.write(motor.id, "Max_Position_Limit", motor.range_max)

    def sync_calibration(self, calibration: Calibration) -> bool:
        """Make the servos hold `calibration` (as lerobot does when a file is given); writes
        only on a difference, to spare EEPROM cycles. Returns whether it wrote."""
        on_servos = self.read_calibration()
        differs = [
            j
            for j in JOINTS
            if (on_servos[j].homing_offset, on_servos[j].range_min, on_servos[j].range_max)
            != (calibration[j].homing_offset, calibration[j].range_min, calibration[j].range_max)
        ]
        if not differs:
            return False
        log.info("leader arm on %s: writing calibration to %s", self.port, ", ".join(differs))
        self.write_calibration(calibration)
        return True

    def reset_calibration(self) -> None:
        """Zero homing offsets and open the limits, so Present_Position is the raw shaft angle."""
        self.write_calibration(
            {joint: MotorCalibration(MOTOR_IDS[joint], 0, 0, 0, MAX_TICK) for joint in JOINTS}
        )
