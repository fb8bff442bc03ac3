"""STS3215 control table: the registers the SO-101 leader needs, and how they are encoded.

Addresses below 40 live in EEPROM: the servo keeps writes to them only while Lock (55) is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

STS3215_MODEL_NUMBER = 777
RESOLUTION = 4096  # ticks per turn
MAX_TICK = RESOLUTION - 1
BAUDRATE_1M = 1_000_000


@dataclass(frozen=True)
class Register:
    name: str
    address: int
    length: int
    # Sign-magnitude registers keep the sign in this bit; None means unsigned.
    sign_bit: int | None = None


_REGISTERS = (
    Register("Model_Number", 3, 2),
    Register("ID", 5, 1),
    Register("Baud_Rate", 6, 1),
    Register("Return_Delay_Time", 7, 1),
    Register("Min_Position_Limit", 9, 2),
    Register("Max_Position_Limit", 11, 2),
    Register("Homing_Offset", 31, 2, sign_bit=11),
    Register("Operating_Mode", 33, 1),
    Register("Torque_Enable", 40, 1),
    Register("Acceleration", 41, 1),
    Register("Goal_Position", 42, 2, sign_bit=15),
    Register("Lock", 55, 1),
    Register("Present_Position", 56, 2, sign_bit=15),
)
REGISTERS: dict[str, Register] = {r.name: r for r in _REGISTERS}

OPERATING_MODE_POSITION = 0
EEPROM_END = 40  # addresses below this are EEPROM


def register(name: str) -> Register:
    try:
        return REGISTERS[name]
    except KeyError:
        known = ", ".join(REGISTERS)
        raise ValueError(f"unknown STS3215 register {name!r}; known: {known}") from None
