"""The SO-101 leader arm as a teleop `Device`.

Each `read` is one sync read of the six Present_Position registers, normalized with the
arm's lerobot calibration (arm joints -100..100, gripper 0..100), which is what the dataset
stores; the env maps it to sim radians with `leisaac_core.so101.normalized_to_radians`,
LeIsaac's formula.

Faults (unplugged adapter, silent servo, a line too noisy for the retries) raise
DeviceError with a message for the operator, and leave the device "faulted": later reads
fail fast, and at most every `reconnect_interval_s` one of them reopens the port, pings and
reconfigures the servos, so the arm comes back by itself when it is plugged in again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from leisaac_core.motors.feetech import (
    CorruptPacketError,
    MotorBusError,
    NoResponseError,
    PortError,
)
from leisaac_core.motors.feetech.protocol import describe_error
from leisaac_core.sim.base import Env, Step
from leisaac_core.teleop.base import DeviceError, DeviceHealth
from leisaac_core.teleop.so101_leader.arm_bus import IDS, LeaderArmBus, describe_motors
from leisaac_core.teleop.so101_leader.calibration import (
    Calibration,
    CalibrationError,
    Normalizer,
    default_calibration_path,
    load_calibration,
)
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig

log = logging.getLogger(__name__)


class SO101Leader:
    intervention = False  # a person drives it: never an override
    starved_ticks = None  # always has an action
    input_timing = None  # local: no network between the input and the loop
    hold_reason = ""

    name = "so101_leader"
    realtime = True

    def __init__(self, config: SO101LeaderConfig) -> None:
        self.config = config
        self.calibration_path = config.calibration_path or default_calibration_path(
            config.calibration_id
        )
        self.calibration: Calibration | None = None
        self._normalize: Normalizer | None = None
        self._arm: LeaderArmBus | None = None
        self._fault = ""  # non-empty while the arm cannot deliver
        self._next_reconnect = 0.0
        self._reads = 0
        self._errors = 0
        self.last_raw: np.ndarray | None = None

    # -- Device protocol --------------------------------------------------------------------

    def connect(self, env: Env | None = None) -> None:
        """Load the calibration, open the port, ping and configure the servos."""
        try:
            self.calibration = load_calibration(self.calibration_path)
        except CalibrationError as exc:
            raise DeviceError(f"leader arm: {exc}") from exc
        self._normalize = Normalizer(self.calibration)
        self._open()

    def read(self, step: Step | None = None) -> np.ndarray:
        if self._normalize is None:
            raise DeviceError("leader arm is not connected; call connect() first")
        if self._arm is None:
            self._reconnect_if_due()
        assert self._arm is not None
        try:
            raw = self._arm.read_positions()
        except MotorBusError as exc:
            raise self._fail(self._explain(exc)) from exc
        self._reads += 1
        self.last_raw = raw
        return self._normalize(raw)

    def reset(self, seed: int | None) -> None:
        """The leader has no state to reset: the operator's hand is the state."""

    def handle_input(self, message: Mapping[str, Any]) -> None:
        """The leader takes no browser input."""

    def health(self) -> DeviceHealth:
        message = self._fault
        if not message and self._arm is not None:
            alarms = {i: describe_error(err) for i, err in self._arm.bus.alarms.items() if err}
            if alarms:
                message = "servo alarms: " + "; ".join(
                    f"{describe_motors([i])}: {', '.join(names)}" for i, names in alarms.items()
                )
        return DeviceHealth(
            connected=self._arm is not None and not self._fault,
            message=message,
            reads=self._reads,
            errors=self._errors,
        )

    def disconnect(self) -> None:
        if self._arm is not None:
            self._arm.close()
            self._arm = None

    # -- faults and reconnection ------------------------------------------------------------

    def _open(self) -> None:
        assert self.calibration is not None
        arm = LeaderArmBus(
            self.config.port,
            baudrate=self.config.baudrate,
            timeout_s=self.config.timeout_s,
            retries=self.config.retries,
        )
        try:
            arm.open()
            arm.configure()
            arm.sync_calibration(self.calibration)
        except MotorBusError as exc:
            arm.close()
            raise self._fail(self._explain(exc)) from exc
        self._arm = arm
        if self._fault:
            log.info("leader arm on %s is back", self.config.port)
        self._fault = ""

    def _reconnect_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_reconnect:
            raise DeviceError(self._fault or "leader arm is disconnected")
        self._open()

    def _fail(self, message: str) -> DeviceError:
        """Record a fault, drop the port (a later read reopens it) and build the error."""
        self._errors += 1
        if message != self._fault:
            log.warning("%s", message)
        self._fault = message
        if self._arm is not None:
            self._arm.close()
            self._arm = None
        self._next_reconnect = time.monotonic() + self.config.reconnect_interval_s
        return DeviceError(message)

    def _explain(self, exc: MotorBusError) -> str:
        port = self.config.port
        retry = f"the device retries every {self.config.reconnect_interval_s:g} s"
        if isinstance(exc, PortError):
            return f"leader arm: {exc} ({retry})"
        if isinstance(exc, NoResponseError):
            joints = describe_motors([i for i in exc.motor_ids if i in IDS])
            return (
                f"leader arm servo not answering: {joints} on {port}. Check that servo's cable "
                f"and the arm's power supply ({retry})"
            )
        if isinstance(exc, CorruptPacketError):
            return (
                f"leader arm bus on {port} too noisy: {exc}. Reseat the USB and servo cables "
                f"({retry})"
            )
        return f"leader arm on {port}: {exc} ({retry})"
