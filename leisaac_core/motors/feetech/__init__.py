"""Feetech STS-series servos over protocol 0 (the SO-101 leader arm's bus)."""

from leisaac_core.motors.feetech.bus import BusStats, FeetechBus
from leisaac_core.motors.feetech.control_table import (
    REGISTERS,
    RESOLUTION,
    STS3215_MODEL_NUMBER,
    Register,
)
from leisaac_core.motors.feetech.errors import (
    CorruptPacketError,
    MotorBusError,
    NoResponseError,
    PortError,
)

__all__ = [
    "REGISTERS",
    "RESOLUTION",
    "STS3215_MODEL_NUMBER",
    "BusStats",
    "CorruptPacketError",
    "FeetechBus",
    "MotorBusError",
    "NoResponseError",
    "PortError",
    "Register",
]
