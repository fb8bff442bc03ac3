"""FeetechBus against the simulated STS3215 bus (tests/support/sts3215_bus.py) on a real pty
and a real loopback socket: instructions, retries, and the errors a person sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leisaac_core.motors.feetech import (
    CorruptPacketError,
    FeetechBus,
    NoResponseError,
    PortError,
    protocol,
)
from tests.support.sts3215_bus import SimulatedBus

IDS = (1, 2, 3, 4, 5, 6)


@pytest.fixture(params=["pty", "tcp"])
def sim(request: pytest.FixtureRequest) -> Iterator[SimulatedBus]:
    with SimulatedBus(request.param) as bus:
        yield bus


def test_ping_read_write_sync_read_sync_write(sim: SimulatedBus) -> None:
    sim.set_positions([100, 200, 300, 400, 500, 600])
    with FeetechBus(sim.url, timeout_s=0.1) as bus:
        for motor_id in IDS:
            bus.ping(motor_id)
        assert bus.read(1, "Model_Number") == 777
        bus.write(2, "Homing_Offset", -50)
        assert sim.servos[2].get("Homing_Offset") == 0x800 | 50  # sign-magnitude on the wire
        assert bus.read(2, "Homing_Offset") == -50
        # Present_Position = (actual - homing) mod 4096 on the servo
        assert bus.sync_read("Present_Position", IDS) == {
            1: 100,
            2: 250,
            3: 300,
            4: 400,
            5: 500,
            6: 600,
        }
        bus.sync_write("Acceleration", dict.fromkeys(IDS, 254))
        assert bus.sync_read("Acceleration", IDS) == dict.fromkeys(IDS, 254)
        assert bus.stats.retries == 0


def test_spy_url_traces_the_wire(tmp_path: Path) -> None:
    """spy:// works because the bus opens ports with serial_for_url, which the vendor SDK can't."""
    log = tmp_path / "wire.txt"
    with SimulatedBus("pty") as sim, FeetechBus(f"spy://{sim.url}?file={log}") as bus:
        bus.ping(1)
    trace = log.read_text()
    assert "FF FF 01 02 01 FB" in trace  # our PING, as in the reference example
    assert "FF FF 01 02 00 FC" in trace  # the servo's answer


def test_light_corruption_and_drops_are_absorbed_by_retries() -> None:
    with SimulatedBus("pty", corrupt_rate=0.01, drop_rate=0.005, seed=7) as sim:
        sim.set_positions([10, 20, 30, 40, 50, 60])
        with FeetechBus(sim.url, timeout_s=0.1, retries=2) as bus:
            for _ in range(300):
                assert bus.sync_read("Present_Position", IDS) == {
                    1: 10,
                    2: 20,
                    3: 30,
                    4: 40,
                    5: 50,
                    6: 60,
                }
        assert sim.counters.corrupted > 0 and sim.counters.dropped > 0
        assert bus.stats.retries > 0
        assert bus.stats.failures == 0


def test_heavy_corruption_raises_with_what_to_check() -> None:
    with (
        SimulatedBus("pty", corrupt_rate=0.7, seed=1) as sim,
        FeetechBus(sim.url, timeout_s=0.1) as bus,
    ):
        with pytest.raises(CorruptPacketError, match="damaged replies in all 3 attempts") as info:
            bus.sync_read("Present_Position", IDS)
        assert "USB cable" in str(info.value)
        assert bus.stats.retries == 2


def test_silent_servo_is_named_by_id() -> None:
    with SimulatedBus("tcp") as sim, FeetechBus(sim.url, timeout_s=0.1) as bus:
        sim.servos[4].alive = False
        with pytest.raises(NoResponseError, match="no reply from motor id 4") as info:
            bus.sync_read("Present_Position", IDS)
        assert info.value.motor_ids == (4,)
        with pytest.raises(NoResponseError):
            bus.ping(4)
        sim.servos[4].alive = True
        bus.ping(4)


def test_retries_zero_gives_up_after_one_attempt() -> None:
    with SimulatedBus("pty") as sim, FeetechBus(sim.url, timeout_s=0.1, retries=0) as bus:
        sim.servos[1].alive = False
        with pytest.raises(NoResponseError, match="after 1 attempts"):
            bus.ping(1)
        assert sim.requests(protocol.PING) == 1


def test_unplug_raises_port_error_and_replug_reopens(sim: SimulatedBus) -> None:
    bus = FeetechBus(sim.url, timeout_s=0.1)
    bus.open()
    sim.unplug()
    with pytest.raises(PortError, match="lost serial port"):
        bus.sync_read("Present_Position", IDS)
    assert not bus.is_open
    with pytest.raises(PortError, match="cannot open serial port"):
        bus.open()
    sim.replug()
    bus.open()
    assert bus.read(3, "Model_Number") == 777
    bus.close()


def test_missing_port_error_says_what_to_check(tmp_path: Path) -> None:
    with pytest.raises(PortError, match="no such device. Check the port name"):
        FeetechBus(str(tmp_path / "ttyACM9")).open()


def test_refused_socket_error() -> None:
    with SimulatedBus("tcp") as sim:
        url = sim.url
        sim.unplug()
        with pytest.raises(PortError, match="connection refused"):
            FeetechBus(url).open()


def test_bad_register_and_values_are_refused() -> None:
    with SimulatedBus("pty") as sim, FeetechBus(sim.url) as bus:
        with pytest.raises(ValueError, match="unknown STS3215 register 'Speed'"):
            bus.read(1, "Speed")
        with pytest.raises(ValueError, match="Homing_Offset"):
            bus.write(1, "Homing_Offset", 5000)
