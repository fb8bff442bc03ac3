"""Feetech protocol 0 packets: building instructions, parsing status replies, sign encodings.

Pure functions on bytes, no I/O, so the bus, the simulated bus in the tests and the packet
examples in the reference notes all check against the same code.

Instruction packet: FF FF ID LEN INSTR P1..Pn CHK
Status packet:      FF FF ID LEN ERR   P1..Pn CHK
LEN = n + 2 and CHK = ~(ID + LEN + INSTR/ERR + sum(P)) & 0xFF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HEADER = b"\xff\xff"
BROADCAST_ID = 0xFE

# Instructions.
PING = 0x01
READ = 0x02
WRITE = 0x03
REG_WRITE = 0x04
ACTION = 0x05
SYNC_READ = 0x82
SYNC_WRITE = 0x83

# Status error bits (the servo's alarm state; the reply is still valid data).
ERROR_BITS: dict[int, str] = {
    0x01: "input voltage",
    0x02: "angle limit",
    0x04: "overheat",
    0x08: "over-current",
    0x20: "overload",
}

# Shortest status packet: header, id, len, err, chk.
MIN_STATUS_LENGTH = 6


class PacketError(ValueError):
    """Bytes on the wire are not a well-formed status packet (corrupt or truncated)."""


@dataclass(frozen=True)
class StatusPacket:
    id: int
    error: int
    params: bytes

    @property
    def alarms(self) -> tuple[str, ...]:
        return describe_error(self.error)


def checksum(body: Iterable[int]) -> int:
    """Checksum over ID, LEN, INSTR/ERR and the parameters."""
    return ~sum(body) & 0xFF


def instruction_packet(motor_id: int, instruction: int, params: Sequence[int] = ()) -> bytes:
    if not 0 <= motor_id <= BROADCAST_ID:
        raise ValueError(f"motor id must be 0..{BROADCAST_ID}, got {motor_id}")
    if len(params) > 250:
        raise ValueError(f"too many parameters for one packet ({len(params)} > 250)")
    body = bytes([motor_id, len(params) + 2, instruction, *params])
    return HEADER + body + bytes([checksum(body)])


def status_packet(motor_id: int, error: int, params: Sequence[int] = ()) -> bytes:
    """A servo's reply; used by the simulated bus and by tests."""
    body = bytes([motor_id, len(params) + 2, error, *params])
    return HEADER + body + bytes([checksum(body)])


def ping_packet(motor_id: int) -> bytes:
    return instruction_packet(motor_id, PING)


def read_packet(motor_id: int, address: int, length: int) -> bytes:
    return instruction_packet(motor_id, READ, (address, length))


def write_packet(motor_id: int, address: int, data: bytes) -> bytes:
    return instruction_packet(motor_id, WRITE, (address, *data))


def sync_read_packet(address: int, length: int, motor_ids: Sequence[int]) -> bytes:
    return instruction_packet(BROADCAST_ID, SYNC_READ, (address, length, *motor_ids))


def sync_write_packet(address: int, length: int, data_by_id: dict[int, bytes]) -> bytes:
    params: list[int] = [address, length]
    for motor_id, data in data_by_id.items():
        if len(data) != length:
            raise ValueError(f"sync write to id {motor_id}: {len(data)} bytes, expected {length}")
        params += [motor_id, *data]
    return instruction_packet(BROADCAST_ID, SYNC_WRITE, params)


def parse_status_packets(data: bytes, count: int) -> list[StatusPacket]:
    """Parse `count` status packets laid back to back in `data`.

    Raises PacketError naming what is wrong (missing header, truncation, bad checksum) so the
    caller can retry the transaction.
    """
    packets: list[StatusPacket] = []
    pos = 0
    for index in range(count):
        if len(data) - pos < MIN_STATUS_LENGTH:
            raise PacketError(
                f"status packet {index + 1} of {count} truncated: "
                f"{len(data) - pos} bytes left ({data[pos:].hex(' ')})"
            )
        if data[pos : pos + 2] != HEADER:
            raise PacketError(f"status packet {index + 1}: no FF FF header at byte {pos}")
        length = data[pos + 3]
        end = pos + 4 + length
        if length < 2 or end > len(data):
            raise PacketError(
                f"status packet {index + 1}: length byte {length} does not fit "
                f"the {len(data) - pos} bytes received"
            )
        body = data[pos + 2 : end - 1]
        if checksum(body) != data[end - 1]:
            raise PacketError(
                f"status packet {index + 1}: checksum {data[end - 1]:#04x} != "
                f"{checksum(body):#04x} ({data[pos:end].hex(' ')})"
            )
        packets.append(StatusPacket(id=body[0], error=body[2], params=bytes(body[3:])))
        pos = end
    return packets


def describe_error(error: int) -> tuple[str, ...]:
    names = tuple(name for bit, name in ERROR_BITS.items() if error & bit)
    unknown = error & ~sum(ERROR_BITS)
    return names + ((f"unknown bits {unknown:#04x}",) if unknown else ())


def encode_sign_magnitude(value: int, sign_bit: int) -> int:
    """Feetech's signed registers: magnitude in the low bits, the sign in `sign_bit`."""
    magnitude = abs(value)
    if magnitude >= 1 << sign_bit:
        raise ValueError(
            f"{value} does not fit a sign-magnitude register with the sign at bit {sign_bit} "
            f"(|value| must be < {1 << sign_bit})"
        )
    return magnitude | (1 << sign_bit) if value < 0 else magnitude


def decode_sign_magnitude(raw: int, sign_bit: int) -> int:
    magnitude = raw & ((1 << sign_bit) - 1)
    return -magnitude if raw & (1 << sign_bit) else magnitude


def to_bytes(value: int, length: int) -> bytes:
    """Unsigned little-endian register value."""
    if not 0 <= value < 1 << (8 * length):
        raise ValueError(f"{value} does not fit {length} unsigned byte(s)")
    return value.to_bytes(length, "little")


def from_bytes(data: bytes) -> int:
    return int.from_bytes(data, "little")


def scan_status_packets(data: bytes) -> tuple[list[StatusPacket], list[str]]:
    """Find every well-formed status packet in `data`, skipping damaged stretches.

    Returns the packets and one line per damaged stretch. Tolerant where
    `parse_status_packets` is strict: a dropped reply or a flipped byte in one servo's packet
    must not hide the other servos' packets, so the bus can tell "servo 3 is silent" from
    "the line is noisy".
    """
    packets: list[StatusPacket] = []
    problems: list[str] = []
    pos = 0
    damaged = False  # bytes right after a damaged packet are its remains, not news
    while True:
        start = data.find(HEADER, pos)
        if start < 0:
            if pos < len(data) and data[pos:].strip(b"\xff") and not damaged:
                problems.append(f"{len(data) - pos} stray byte(s) at the end")
            break
        if start > pos and not damaged:
            problems.append(f"{start - pos} stray byte(s) before a header at byte {start}")
        # A run of FF bytes: the real header is the last two before the id.
        while start + 2 < len(data) and data[start + 2] == 0xFF:
            start += 1
        try:
            (packet,) = parse_status_packets(data[start:], 1)
        except PacketError as exc:
            problems.append(str(exc))
            pos = start + 2
            damaged = True
            continue
        damaged = False
        packets.append(packet)
        pos = start + 4 + data[start + 3]
    return packets, problems
