"""Exceptions of the Feetech bus. Each message says what a person should check."""

from __future__ import annotations

from collections.abc import Sequence

CHECKLIST = (
    "check the USB cable and the port name, that the servo board has its own power supply "
    "switched on, and that the baud rate is 1000000"
)


class MotorBusError(RuntimeError):
    """The bus could not complete a transaction."""


class PortError(MotorBusError):
    """The serial port cannot be opened, or it went away (unplugged adapter, closed socket)."""


class NoResponseError(MotorBusError):
    """One or more servos did not answer (dead or unpowered servo, broken daisy-chain)."""

    def __init__(self, message: str, motor_ids: Sequence[int]) -> None:
        super().__init__(message)
        self.motor_ids = tuple(motor_ids)


class CorruptPacketError(MotorBusError):
    """Replies kept arriving damaged after every retry (noisy cable, bad ground, wrong baud)."""
