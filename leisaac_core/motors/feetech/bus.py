"""A Feetech protocol-0 bus over any port `serial.serial_for_url` opens.

Hand-written rather than built on the vendor SDK (`feetech-servo-sdk`, module
`scservo_sdk`) because that SDK opens ports with `serial.Serial(port)`: it cannot take
`socket://host:port` or `spy://...` URLs, so it can neither be pointed at a loopback
simulated bus in the tests nor traced on the wire. The packet code it would save us is small
(see `protocol.py`).

Every transaction clears stale input, sends one instruction and reads the expected replies
within `timeout_s`. Damaged or missing replies are retried `retries` times; what still
fails raises a `MotorBusError` subclass whose message says what to check.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import serial

from leisaac_core.motors.feetech import protocol
from leisaac_core.motors.feetech.control_table import BAUDRATE_1M, Register, register
from leisaac_core.motors.feetech.errors import (
    CHECKLIST,
    CorruptPacketError,
    MotorBusError,
    NoResponseError,
    PortError,
)

try:  # termios.error is what tcflush raises on a hung-up tty; it is not an OSError.
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - non-POSIX
    _TermiosError = OSError  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

_PORT_FAILURES = (serial.SerialException, OSError, _TermiosError)


@dataclass
class BusStats:
    transactions: int = 0
    retries: int = 0
    failures: int = 0


class FeetechBus:
    """One serial port with Feetech servos on it. Not thread-safe: one owner thread."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = BAUDRATE_1M,
        timeout_s: float = 0.05,
        retries: int = 2,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.port = port
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self.retries = retries
        self.stats = BusStats()
        # Latest alarm byte per servo (0 = none); alarms do not invalidate a reply.
        self.alarms: dict[int, int] = {}
        self._serial: serial.SerialBase | None = None

    # -- port -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        if self._serial is not None:
            return
        try:
            self._serial = serial.serial_for_url(
                self.port,
                baudrate=self.baudrate,
                timeout=self.timeout_s,
                write_timeout=1.0,
                exclusive=True,
            )
        except _PORT_FAILURES as exc:
            raise PortError(f"cannot open serial port {self.port!r}: {_open_hint(exc)}") from exc
        except ValueError as exc:  # unknown URL scheme, bad baud rate
            raise PortError(f"invalid serial port {self.port!r}: {exc}") from exc
        # socket:// leaves Nagle's algorithm on: a short request written right after another
        # would wait for the peer's delayed ACK (~40 ms), longer than a reply timeout.
        sock = getattr(self._serial, "_socket", None)
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            # An unplugged port may fail to close; there is nothing left to release then.
            with contextlib.suppress(*_PORT_FAILURES):
                ser.close()

    def __enter__(self) -> FeetechBus:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- instructions -----------------------------------------------------------------------

    def ping(self, motor_id: int) -> None:
        """Raises NoResponseError when the servo does not answer."""
        self._transact(protocol.ping_packet(motor_id), (motor_id,), 0, f"ping id {motor_id}")

    def read(self, motor_id: int, name: str) -> int:
        reg = register(name)
        (data,) = self.read_bytes(motor_id, reg.address, reg.length).values()
        return _decode(reg, data)

    def write(self, motor_id: int, name: str, value: int) -> None:
        reg = register(name)
        self.write_bytes(motor_id, reg.address, _encode(reg, value))

    def sync_read(self, name: str, motor_ids: Sequence[int]) -> dict[int, int]:
        """One SYNC_READ instruction; every servo answers in turn. Values decoded."""
        reg = register(name)
        packet = protocol.sync_read_packet(reg.address, reg.length, motor_ids)
        replies = self._transact(packet, motor_ids, reg.length, f"sync read {name}")
        return {motor_id: _decode(reg, replies[motor_id]) for motor_id in motor_ids}

    def sync_write(self, name: str, values: Mapping[int, int]) -> None:
        """One SYNC_WRITE instruction. Servos do not answer a broadcast, so this is unconfirmed."""
        reg = register(name)
        data = {motor_id: _encode(reg, value) for motor_id, value in values.items()}
        packet = protocol.sync_write_packet(reg.address, reg.length, data)
        self._transact(packet, (), 0, f"sync write {name}")

    def read_bytes(self, motor_id: int, address: int, length: int) -> dict[int, bytes]:
        packet = protocol.read_packet(motor_id, address, length)
        return self._transact(packet, (motor_id,), length, f"read {length} at {address}")

    def write_bytes(self, motor_id: int, address: int, data: bytes) -> None:
        packet = protocol.write_packet(motor_id, address, data)
        self._transact(packet, (motor_id,), 0, f"write {len(data)} at {address}")

    # -- one request/reply exchange ---------------------------------------------------------

    def _transact(
        self, packet: bytes, reply_ids: Sequence[int], param_length: int, what: str
    ) -> dict[int, bytes]:
        if self._serial is None:
            raise PortError(f"serial port {self.port!r} is not open")
        expected = len(reply_ids) * (protocol.MIN_STATUS_LENGTH + param_length)
        self.stats.transactions += 1
        problems: list[str] = []
        missing: list[int] = []
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
            data = self._exchange(packet, expected)
            if not reply_ids:
                return {}
            packets, problems = protocol.scan_status_packets(data)
            replies: dict[int, bytes] = {}
            for p in packets:
                if p.id in reply_ids and len(p.params) == param_length:
                    replies[p.id] = p.params
                    self.alarms[p.id] = p.error
                elif p.id in reply_ids:
                    problems.append(
                        f"id {p.id} sent {len(p.params)} bytes, expected {param_length}"
                    )
            missing = [i for i in reply_ids if i not in replies]
            if not missing:
                return replies
            log.debug(
                "%s on %s, attempt %d: missing %s %s",
                what,
                self.port,
                attempt + 1,
                missing,
                problems,
            )
        self.stats.failures += 1
        attempts = self.retries + 1
        if problems:
            raise CorruptPacketError(
                f"{what} on {self.port}: damaged replies in all {attempts} attempts "
                f"({problems[-1]}); {CHECKLIST}"
            )
        ids = ", ".join(str(i) for i in missing)
        raise NoResponseError(
            f"{what} on {self.port}: no reply from motor id {ids} after {attempts} attempts; "
            f"{CHECKLIST}, and the cable to that servo",
            missing,
        )

    def _exchange(self, packet: bytes, expected: int) -> bytes:
        ser = self._serial
        assert ser is not None
        try:
            ser.reset_input_buffer()
            ser.write(packet)
            return ser.read(expected) if expected else b""
        except _PORT_FAILURES as exc:
            self.close()
            raise PortError(f"lost serial port {self.port!r} ({exc}); {CHECKLIST}") from exc


def _open_hint(exc: BaseException) -> str:
    """One line for a failed open: the cause and the first thing to check."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code == errno.ENOENT or "No such file" in text:
        return (
            "no such device. Check the port name (ls /dev/ttyACM* /dev/serial/by-id/) and "
            "that the arm's USB cable is plugged in"
        )
    if code == errno.EACCES or "Permission denied" in text:
        return (
            "permission denied. Add your user to the 'dialout' group and log in again, or "
            "fix the port's permissions"
        )
    if code == errno.EBUSY or "exclusively lock" in text:
        return "the port is in use by another program (another dashboard, lerobot, a terminal)"
    if "Connection refused" in text:
        return "connection refused. Check the host and port of the remote bus"
    return f"{text}. {CHECKLIST.capitalize()}"


def _decode(reg: Register, data: bytes) -> int:
    raw = protocol.from_bytes(data)
    return raw if reg.sign_bit is None else protocol.decode_sign_magnitude(raw, reg.sign_bit)


def _encode(reg: Register, value: int) -> bytes:
    try:
        raw = value if reg.sign_bit is None else protocol.encode_sign_magnitude(value, reg.sign_bit)
        return protocol.to_bytes(raw, reg.length)
    except ValueError as exc:
        raise ValueError(f"{reg.name}: {exc}") from exc


__all__ = ["BusStats", "FeetechBus", "MotorBusError"]
