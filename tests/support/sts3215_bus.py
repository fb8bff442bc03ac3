"""A simulated bus of Feetech STS3215 servos, for tests only (no hardware can run here).

Six servos (ids 1..6) with 256-byte control tables answer PING, READ, WRITE, SYNC_READ and
SYNC_WRITE exactly as protocol 0 describes. The bus serves on a pty (the port a client opens
is a stable symlink to the pty's slave, like /dev/serial/by-id/...) or on a loopback TCP
socket (`socket://127.0.0.1:PORT`). Optional faults: 1 Mbaud wire timing (10 us per byte plus
each servo's return delay), dropped and corrupted reply packets at a given rate, dead servos,
and unplugging (the pty or socket is closed) and re-plugging.

A test "moves the arm" with `set_positions`: these are the servos' actual shaft positions;
Present_Position reads back (actual - Homing_Offset) mod 4096 as on the real servo.

Run standalone to try the CLI by hand:
    .venv/bin/python -m tests.support.sts3215_bus --transport tcp --port 5555
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import select
import socket
import tempfile
import threading
import time
import tty
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from leisaac_core.motors.feetech import protocol
from leisaac_core.motors.feetech.control_table import (
    EEPROM_END,
    REGISTERS,
    RESOLUTION,
    STS3215_MODEL_NUMBER,
)

BYTE_TIME_S = 10e-6  # one byte at 1 Mbaud (8N1 = 10 bits)
RETURN_DELAY_UNIT_S = 2e-6  # Return_Delay_Time counts 2 us


def _reg(name: str) -> tuple[int, int]:
    r = REGISTERS[name]
    return r.address, r.length


@dataclass
class WriteRecord:
    """One register write as a servo saw it, with the lock/torque state at that moment."""

    motor_id: int
    address: int
    data: bytes
    locked: bool
    torque_on: bool


class SimulatedServo:
    def __init__(self, motor_id: int, position: int = 2048) -> None:
        self.id = motor_id
        self.table = bytearray(256)
        self.alive = True
        self.alarm = 0  # status error byte sent with every reply
        self.actual_position = position
        self.writes: list[WriteRecord] = []
        self._set("Model_Number", STS3215_MODEL_NUMBER)
        self._set("ID", motor_id)
        self._set("Baud_Rate", 0)
        self._set("Return_Delay_Time", 250)  # factory: 500 us
        self._set("Min_Position_Limit", 0)
        self._set("Max_Position_Limit", RESOLUTION - 1)
        self._set("Torque_Enable", 1)
        self._set("Lock", 1)

    def _set(self, name: str, value: int) -> None:
        address, length = _reg(name)
        self.table[address : address + length] = value.to_bytes(length, "little")

    def get(self, name: str) -> int:
        """Raw (undecoded) register value."""
        address, length = _reg(name)
        if name == "Present_Position":
            self._refresh_present_position()
        return int.from_bytes(self.table[address : address + length], "little")

    def homing_offset(self) -> int:
        return protocol.decode_sign_magnitude(self.get("Homing_Offset"), 11)

    def _refresh_present_position(self) -> None:
        present = (self.actual_position - self.homing_offset()) % RESOLUTION
        self._set("Present_Position", present)

    def read(self, address: int, length: int) -> bytes:
        self._refresh_present_position()
        return bytes(self.table[address : address + length])

    def write(self, address: int, data: bytes) -> None:
        self.writes.append(
            WriteRecord(
                self.id,
                address,
                bytes(data),
                locked=self.get("Lock") != 0,
                torque_on=self.get("Torque_Enable") != 0,
            )
        )
        self.table[address : address + len(data)] = data

    def eeprom_writes_while_locked(self) -> list[WriteRecord]:
        return [w for w in self.writes if w.address < EEPROM_END and w.locked]


@dataclass
class BusCounters:
    requests: dict[int, int] = field(default_factory=dict)  # instruction -> count
    replies: int = 0
    dropped: int = 0
    corrupted: int = 0
    bad_requests: int = 0


class SimulatedBus:
    """Serve simulated servos on a pty or a loopback socket from a background thread."""

    def __init__(
        self,
        transport: Literal["pty", "tcp"] = "pty",
        *,
        motor_ids: Iterable[int] = range(1, 7),
        wire_timing: bool = False,
        drop_rate: float = 0.0,
        corrupt_rate: float = 0.0,
        seed: int = 0,
        tcp_port: int = 0,
    ) -> None:
        if transport not in ("pty", "tcp"):
            raise ValueError(f"transport must be 'pty' or 'tcp', got {transport!r}")
        self.transport = transport
        self.servos = {i: SimulatedServo(i) for i in motor_ids}
        self.wire_timing = wire_timing
        self.drop_rate = drop_rate
        self.corrupt_rate = corrupt_rate
        self.counters = BusCounters()
        self._rng = random.Random(seed)
        self._commands: queue.Queue[tuple[str, threading.Event]] = queue.Queue()
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._tmpdir = tempfile.TemporaryDirectory(prefix="sts3215-")
        self._link = Path(self._tmpdir.name) / "ttySIM0"
        self._tcp_port = tcp_port  # 0: any free port, fixed at start and kept across replugs
        # Live endpoint state, touched only by the server thread once started.
        self._master: int | None = None
        self._slave: int | None = None
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._plugged = False

    # -- test-facing API --------------------------------------------------------------------

    @property
    def url(self) -> str:
        """What a client passes to serial.serial_for_url."""
        if self.transport == "pty":
            return str(self._link)
        return f"socket://127.0.0.1:{self._tcp_port}"

    @property
    def plugged(self) -> bool:
        return self._plugged

    def start(self) -> SimulatedBus:
        self._plug()
        self._thread = threading.Thread(target=self._serve, name="sts3215-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._command("stop")
            self._thread.join(timeout=5)
            self._thread = None
        self._unplug()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._tmpdir.cleanup()

    def __enter__(self) -> SimulatedBus:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the USB cable: the port disappears and open clients see it hang up."""
        self._command("unplug")

    def replug(self) -> None:
        """Plug it back in under the same name (the same symlink, or the same TCP port)."""
        self._command("replug")

    def set_positions(self, positions: Mapping[int, int] | Iterable[int]) -> None:
        """Actual shaft positions in ticks, by id or in id order."""
        items = (
            positions.items()
            if isinstance(positions, Mapping)
            else zip(self.servos, positions, strict=True)
        )
        for motor_id, value in items:
            self.servos[motor_id].actual_position = int(value) % RESOLUTION

    def set_present_positions(self, positions: Mapping[int, int] | Iterable[int]) -> None:
        """Move the arm so Present_Position reads these values under the current offsets."""
        items = (
            positions.items()
            if isinstance(positions, Mapping)
            else zip(self.servos, positions, strict=True)
        )
        for motor_id, value in items:
            servo = self.servos[motor_id]
            servo.actual_position = (int(value) + servo.homing_offset()) % RESOLUTION

    def store_calibration(self, calibration: Mapping[str, Mapping[str, int]]) -> None:
        """Put a lerobot-format calibration into the servos' tables, as if written earlier."""
        for entry in calibration.values():
            servo = self.servos[entry["id"]]
            servo._set("Homing_Offset", protocol.encode_sign_magnitude(entry["homing_offset"], 11))
            servo._set("Min_Position_Limit", entry["range_min"])
            servo._set("Max_Position_Limit", entry["range_max"])

    def present_positions(self) -> dict[int, int]:
        return {i: s.get("Present_Position") for i, s in self.servos.items()}

    def requests(self, instruction: int) -> int:
        return self.counters.requests.get(instruction, 0)

    # -- endpoint management (server thread, or before it starts / after it stops) ------------

    def _command(self, name: str) -> None:
        done = threading.Event()
        self._commands.put((name, done))
        os.write(self._wake_w, b"x")
        if not done.wait(timeout=5):
            raise TimeoutError(f"simulated bus did not handle {name!r}")

    def _plug(self) -> None:
        if self.transport == "pty":
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)  # no echo, no newline translation: bytes pass unchanged
            self._link.unlink(missing_ok=True)
            self._link.symlink_to(os.ttyname(self._slave))
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self._tcp_port))
            listener.listen(1)
            self._tcp_port = listener.getsockname()[1]
            self._listener = listener
        self._plugged = True

    def _unplug(self) -> None:
        self._plugged = False
        self._link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        for sock in (self._client, self._listener):
            if sock is not None:
                sock.close()
        self._client = self._listener = None

    # -- serving ----------------------------------------------------------------------------

    def _serve(self) -> None:
        buffer = bytearray()
        while True:
            readable = [self._wake_r]
            for endpoint in (self._master, self._listener, self._client):
                if endpoint is not None:
                    readable.append(endpoint)  # type: ignore[arg-type]
            ready, _, _ = select.select(readable, [], [], 1.0)
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
                while not self._commands.empty():
                    name, done = self._commands.get()
                    if name == "stop":
                        done.set()
                        return
                    if name == "unplug" and self._plugged:
                        self._unplug()
                        buffer.clear()
                    elif name == "replug" and not self._plugged:
                        self._plug()
                    done.set()
                continue
            if self._listener is not None and self._listener in ready:
                client, _ = self._listener.accept()
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._client is not None:
                    self._client.close()  # one user per port, the newest wins
                self._client = client
                buffer.clear()
                continue
            chunk = self._receive(ready)
            if chunk is None:
                continue
            buffer += chunk
            for request in self._take_packets(buffer):
                reply = self._handle(request)
                self._send(request, reply)

    def _receive(self, ready: list[object]) -> bytes | None:
        try:
            if self._master is not None and self._master in ready:
                return os.read(self._master, 4096)
            if self._client is not None and self._client in ready:
                data = self._client.recv(4096)
                if not data:  # the client closed its end
                    self._client.close()
                    self._client = None
                    return None
                return data
        except OSError:
            # EIO on the pty master means no client holds the slave right now.
            time.sleep(0.005)
        return None

    def _take_packets(self, buffer: bytearray) -> list[bytes]:
        packets: list[bytes] = []
        while True:
            start = buffer.find(protocol.HEADER)
            if start < 0:
                buffer.clear()
                return packets
            del buffer[:start]
            if len(buffer) < 4:
                return packets
            end = 4 + buffer[3]
            if len(buffer) < end:
                return packets
            packet = bytes(buffer[:end])
            del buffer[:end]
            if protocol.checksum(packet[2:-1]) != packet[-1]:
                self.counters.bad_requests += 1  # a real servo ignores a damaged packet
                continue
            packets.append(packet)

    def _handle(self, packet: bytes) -> list[bytes]:
        motor_id, instruction, params = packet[2], packet[4], packet[5:-1]
        counts = self.counters.requests
        counts[instruction] = counts.get(instruction, 0) + 1
        if motor_id == protocol.BROADCAST_ID:
            return self._handle_broadcast(instruction, params)
        servo = self.servos.get(motor_id)
        if servo is None or not servo.alive:
            return []
        if instruction == protocol.PING:
            return [self._reply(servo, b"")]
        if instruction == protocol.READ:
            return [self._reply(servo, servo.read(params[0], params[1]))]
        if instruction == protocol.WRITE:
            servo.write(params[0], bytes(params[1:]))
            return [self._reply(servo, b"")]
        return []

    def _handle_broadcast(self, instruction: int, params: bytes) -> list[bytes]:
        if instruction == protocol.SYNC_READ:
            address, length, ids = params[0], params[1], params[2:]
            replies = []
            for motor_id in ids:
                servo = self.servos.get(motor_id)
                if servo is not None and servo.alive:
                    replies.append(self._reply(servo, servo.read(address, length)))
            return replies
        if instruction == protocol.SYNC_WRITE:
            address, length = params[0], params[1]
            for pos in range(2, len(params), length + 1):
                servo = self.servos.get(params[pos])
                if servo is not None and servo.alive:
                    servo.write(address, bytes(params[pos + 1 : pos + 1 + length]))
            return []
        if instruction == protocol.WRITE:
            for servo in self.servos.values():
                if servo.alive:
                    servo.write(params[0], bytes(params[1:]))
        return []

    def _reply(self, servo: SimulatedServo, data: bytes) -> bytes:
        return protocol.status_packet(servo.id, servo.alarm, data)

    def _send(self, request: bytes, replies: list[bytes]) -> None:
        out = bytearray()
        delay = len(request) * BYTE_TIME_S
        for reply in replies:
            self.counters.replies += 1
            if self.drop_rate and self._rng.random() < self.drop_rate:
                self.counters.dropped += 1
                continue
            if self.corrupt_rate and self._rng.random() < self.corrupt_rate:
                self.counters.corrupted += 1
                damaged = bytearray(reply)
                damaged[self._rng.randrange(len(damaged))] ^= self._rng.randrange(1, 256)
                reply = bytes(damaged)
            servo = self.servos.get(reply[2])
            if servo is not None:
                delay += servo.get("Return_Delay_Time") * RETURN_DELAY_UNIT_S
            delay += len(reply) * BYTE_TIME_S
            out += reply
        if self.wire_timing and delay:
            time.sleep(delay)
        if not out:
            return
        try:
            if self._master is not None:
                os.write(self._master, out)
            elif self._client is not None:
                self._client.sendall(out)
        except OSError:
            pass  # the client went away mid-reply, as a real unplug would do


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--transport", choices=("pty", "tcp"), default="tcp")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = any free one)")
    parser.add_argument("--wire-timing", action="store_true")
    args = parser.parse_args()
    bus = SimulatedBus(args.transport, wire_timing=args.wire_timing, tcp_port=args.port)
    with bus:
        print(f"simulated STS3215 bus on {bus.url}; Ctrl+C to stop", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
