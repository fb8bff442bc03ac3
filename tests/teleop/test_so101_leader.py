"""SO101Leader as a teleop Device against the simulated STS3215 bus: connect, stream, map to
sim radians, reuse lerobot calibration files, and every fault case."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.motors.feetech import REGISTERS, protocol
from leisaac_core.teleop import Device, DeviceError, make_device_config, make_device_from_config
from leisaac_core.teleop.so101_leader.calibration import (
    CalibrationError,
    default_calibration_path,
    load_calibration,
)
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig
from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader
from tests.support.sts3215_bus import SimulatedBus

# As lerobot writes it (json.dump, indent 4); shoulder_pan is the reference example.
LEROBOT_CALIBRATION = {
    "shoulder_pan": {
        "id": 1,
        "drive_mode": 0,
        "homing_offset": 731,
        "range_min": 510,
        "range_max": 2123,
    },
    "shoulder_lift": {
        "id": 2,
        "drive_mode": 0,
        "homing_offset": -1391,
        "range_min": 872,
        "range_max": 3200,
    },
    "elbow_flex": {
        "id": 3,
        "drive_mode": 0,
        "homing_offset": 1501,
        "range_min": 1000,
        "range_max": 3000,
    },
    "wrist_flex": {
        "id": 4,
        "drive_mode": 0,
        "homing_offset": -900,
        "range_min": 847,
        "range_max": 3181,
    },
    "wrist_roll": {
        "id": 5,
        "drive_mode": 0,
        "homing_offset": 120,
        "range_min": 0,
        "range_max": 4095,
    },
    "gripper": {
        "id": 6,
        "drive_mode": 0,
        "homing_offset": 1163,
        "range_min": 2000,
        "range_max": 3000,
    },
}


@pytest.fixture
def calibration_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_leader.json"
    path.write_text(json.dumps(LEROBOT_CALIBRATION, indent=4))
    return path


@pytest.fixture
def sim() -> Iterator[SimulatedBus]:
    with SimulatedBus("pty") as bus:
        yield bus


def make_leader(sim: SimulatedBus, calibration: Path, **overrides: object) -> SO101Leader:
    config = SO101LeaderConfig(
        port=sim.url, calibration_path=calibration, timeout_s=0.1, **overrides
    )
    return SO101Leader(config)


def present_for(normalized: dict[str, float]) -> list[int]:
    """Present_Position ticks that normalize to the given values (test-side inverse)."""
    ticks = []
    for joint in so101.JOINTS:
        cal = LEROBOT_CALIBRATION[joint]
        lo, hi = cal["range_min"], cal["range_max"]
        n = normalized.get(joint, 0.0 if joint != "gripper" else 50.0)
        fraction = n / 100.0 if joint == "gripper" else (n + 100.0) / 200.0
        ticks.append(round(lo + fraction * (hi - lo)))
    return ticks


def test_registry_builds_a_device_that_fulfils_the_protocol(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    config = make_device_config("so101_leader", port=sim.url, calibration_path=calibration_file)
    device = make_device_from_config(config)
    assert isinstance(device, Device)
    assert device.name == "so101_leader" and device.realtime is True


def test_connect_configures_servos_and_applies_the_calibration(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    leader = make_leader(sim, calibration_file)
    leader.connect(None)
    for motor_id, servo in sim.servos.items():
        assert servo.get("Torque_Enable") == 0
        assert servo.get("Lock") == 0
        assert servo.get("Return_Delay_Time") == 0
        assert servo.get("Acceleration") == 254
        assert servo.get("Operating_Mode") == 0
        assert servo.eeprom_writes_while_locked() == []
        joint = so101.JOINTS[motor_id - 1]
        cal = LEROBOT_CALIBRATION[joint]
        assert servo.homing_offset() == cal["homing_offset"]
        assert servo.get("Min_Position_Limit") == cal["range_min"]
        assert servo.get("Max_Position_Limit") == cal["range_max"]
    assert leader.health().connected
    leader.disconnect()


def test_connect_does_not_rewrite_a_calibration_the_servos_already_hold(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    sim.store_calibration(LEROBOT_CALIBRATION)
    leader = make_leader(sim, calibration_file)
    leader.connect(None)
    homing_address = REGISTERS["Homing_Offset"].address
    assert all(w.address != homing_address for s in sim.servos.values() for w in s.writes)
    leader.disconnect()


def test_each_read_is_one_sync_read_and_normalizes_like_leisaac(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    leader = make_leader(sim, calibration_file)
    leader.connect(None)
    cal = LEROBOT_CALIBRATION
    # min, max, middle and clamping beyond the range, per joint
    sim.set_present_positions(
        [
            cal["shoulder_pan"]["range_min"],
            cal["shoulder_lift"]["range_max"],
            (cal["elbow_flex"]["range_min"] + cal["elbow_flex"]["range_max"]) // 2,
            cal["wrist_flex"]["range_min"] - 300,
            1024,
            cal["gripper"]["range_max"] + 50,
        ]
    )
    before = dict(sim.counters.requests)
    values = leader.read(None)
    after = sim.counters.requests
    assert values.dtype == np.float32 and values.shape == (6,)
    np.testing.assert_allclose(
        values, [-100.0, 100.0, 0.0, -100.0, 1024 / 4095 * 200 - 100, 100.0], atol=1e-4
    )
    assert after[protocol.SYNC_READ] - before.get(protocol.SYNC_READ, 0) == 1
    assert sum(after.values()) - sum(before.values()) == 1
    leader.disconnect()


def test_drive_mode_1_inverts_the_range(sim: SimulatedBus, tmp_path: Path) -> None:
    inverted = {
        j: dict(c, drive_mode=1 if j in ("shoulder_pan", "gripper") else 0)
        for j, c in LEROBOT_CALIBRATION.items()
    }
    path = tmp_path / "inverted.json"
    path.write_text(json.dumps(inverted))
    leader = make_leader(sim, path)
    leader.connect(None)
    sim.set_present_positions(present_for({"shoulder_pan": 60.0, "gripper": 20.0}))
    values = leader.read(None)
    assert values[0] == pytest.approx(-60.0, abs=0.1)
    assert values[5] == pytest.approx(80.0, abs=0.1)
    leader.disconnect()


@pytest.mark.parametrize(
    ("normalized", "expected_deg"),
    [
        # LeIsaac: deg = (n - m_lo)/(m_hi - m_lo)*(u_hi - u_lo) + u_lo with the limits in leisaac.md
        ({"shoulder_pan": 100.0}, {"shoulder_pan": 110.0}),
        ({"shoulder_pan": -100.0}, {"shoulder_pan": -110.0}),
        ({"elbow_flex": 0.0}, {"elbow_flex": -5.0}),
        ({"elbow_flex": 100.0}, {"elbow_flex": 90.0}),
        ({"wrist_flex": 50.0}, {"wrist_flex": 47.5}),
        ({"gripper": 0.0}, {"gripper": -10.0}),
        ({"gripper": 100.0}, {"gripper": 100.0}),
        ({"gripper": 50.0}, {"gripper": 45.0}),
    ],
)
def test_leader_readings_map_to_sim_radians_as_leisaac(
    sim: SimulatedBus,
    calibration_file: Path,
    normalized: dict[str, float],
    expected_deg: dict[str, float],
) -> None:
    leader = make_leader(sim, calibration_file)
    leader.connect(None)
    sim.set_present_positions(present_for(normalized))
    radians = so101.normalized_to_radians(leader.read(None))
    for joint, deg in expected_deg.items():
        index = so101.JOINTS.index(joint)
        # one tick of quantization is < 0.1 degree on every joint of this calibration
        assert math.degrees(radians[index]) == pytest.approx(deg, abs=0.2)
    leader.disconnect()


@pytest.mark.parametrize("transport", ["pty", "tcp"])
def test_stream_300_reads_with_wire_timing(transport: str, calibration_file: Path) -> None:
    with SimulatedBus(transport, wire_timing=True) as sim:
        leader = make_leader(sim, calibration_file)
        leader.connect(None)
        sweep = np.linspace(-100.0, 100.0, 300)
        for n in sweep:
            sim.set_present_positions(
                present_for({"shoulder_pan": float(n), "gripper": (n + 100) / 2})
            )
            values = leader.read(None)
            assert values[0] == pytest.approx(n, abs=0.15)
            assert values[5] == pytest.approx((n + 100) / 2, abs=0.1)
        health = leader.health()
        assert health.connected and health.reads == 300 and health.errors == 0
        leader.disconnect()


def test_light_corruption_never_reaches_the_operator(calibration_file: Path) -> None:
    with SimulatedBus("pty", corrupt_rate=0.005, drop_rate=0.002, seed=3) as sim:
        leader = make_leader(sim, calibration_file)
        leader.connect(None)
        sim.set_present_positions(present_for({"shoulder_pan": 25.0}))
        for _ in range(300):
            assert leader.read(None)[0] == pytest.approx(25.0, abs=0.15)
        assert sim.counters.corrupted + sim.counters.dropped > 0
        assert leader.health().errors == 0
        leader.disconnect()


def test_heavy_corruption_raises_device_error_then_recovers(calibration_file: Path) -> None:
    with SimulatedBus("pty", seed=5) as sim:
        leader = make_leader(sim, calibration_file, reconnect_interval_s=0.0)
        leader.connect(None)
        sim.corrupt_rate = 0.8
        with pytest.raises(DeviceError, match="too noisy") as info:
            leader.read(None)
        assert "cable" in str(info.value)
        health = leader.health()
        assert not health.connected and "too noisy" in health.message and health.errors == 1
        sim.corrupt_rate = 0.0
        leader.read(None)
        assert leader.health().connected
        leader.disconnect()


@pytest.mark.parametrize("transport", ["pty", "tcp"])
def test_unplug_mid_stream_then_replug_resumes(transport: str, calibration_file: Path) -> None:
    with SimulatedBus(transport) as sim:
        leader = make_leader(sim, calibration_file, reconnect_interval_s=0.0)
        leader.connect(None)
        sim.set_present_positions(present_for({"elbow_flex": 40.0}))
        for _ in range(10):
            leader.read(None)
        sim.unplug()
        with pytest.raises(DeviceError, match="lost serial port") as info:
            leader.read(None)
        assert sim.url in str(info.value)
        # still unplugged: the reconnect attempt fails with a clear message, no crash
        with pytest.raises(DeviceError, match="cannot open serial port"):
            leader.read(None)
        assert not leader.health().connected
        sim.replug()
        assert leader.read(None)[2] == pytest.approx(40.0, abs=0.15)
        health = leader.health()
        assert health.connected and health.message == "" and health.errors == 2
        leader.disconnect()


def test_reconnect_attempts_are_rate_limited(sim: SimulatedBus, calibration_file: Path) -> None:
    leader = make_leader(sim, calibration_file, reconnect_interval_s=60.0)  # the most allowed
    leader.connect(None)
    sim.unplug()
    with pytest.raises(DeviceError):
        leader.read(None)
    sim.replug()
    requests = sum(sim.counters.requests.values())
    # not due yet: fails fast with the last fault and leaves the bus alone
    with pytest.raises(DeviceError, match="lost serial port"):
        leader.read(None)
    assert sum(sim.counters.requests.values()) == requests
    leader.disconnect()


def test_dead_servo_mid_stream_names_the_joint(sim: SimulatedBus, calibration_file: Path) -> None:
    leader = make_leader(sim, calibration_file, reconnect_interval_s=0.0)
    leader.connect(None)
    leader.read(None)
    sim.servos[3].alive = False
    with pytest.raises(DeviceError, match=r"elbow_flex \(id 3\)"):
        leader.read(None)
    assert "elbow_flex" in leader.health().message
    sim.servos[3].alive = True
    leader.read(None)
    assert leader.health().connected
    leader.disconnect()


def test_dead_servo_at_connect_names_the_joint(sim: SimulatedBus, calibration_file: Path) -> None:
    sim.servos[6].alive = False
    leader = make_leader(sim, calibration_file)
    with pytest.raises(DeviceError, match=r"gripper \(id 6\)"):
        leader.connect(None)
    assert not leader.health().connected


def test_servo_alarm_is_reported_in_health_without_failing(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    leader = make_leader(sim, calibration_file)
    leader.connect(None)
    sim.servos[6].alarm = 0x20
    leader.read(None)
    health = leader.health()
    assert health.connected
    assert "gripper (id 6): overload" in health.message
    leader.disconnect()


def test_wrong_port_and_missing_calibration_raise_device_error(
    sim: SimulatedBus, calibration_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(DeviceError, match="no such device"):
        SO101Leader(
            SO101LeaderConfig(port=str(tmp_path / "ttyACM7"), calibration_path=calibration_file)
        ).connect(None)
    with pytest.raises(
        DeviceError, match="no calibration file at .*leisaac-dashboard leader calibrate"
    ):
        make_leader(sim, tmp_path / "missing.json").connect(None)
    with pytest.raises(DeviceError, match="not connected"):
        make_leader(sim, calibration_file).read(None)


def test_reads_a_lerobot_file_from_its_default_location(
    sim: SimulatedBus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calib"))
    path = tmp_path / "calib" / "teleoperators" / "so_leader" / "my_awesome_leader_arm.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(LEROBOT_CALIBRATION, indent=4))
    leader = SO101Leader(SO101LeaderConfig(port=sim.url, id="my_awesome_leader_arm", timeout_s=0.1))
    assert leader.calibration_path == path
    leader.connect(None)
    sim.set_present_positions(present_for({"wrist_flex": -30.0}))
    assert leader.read(None)[3] == pytest.approx(-30.0, abs=0.15)
    leader.disconnect()


def test_default_location_follows_lerobot_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_LEROBOT_CALIBRATION", raising=False)
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "lerobot"))
    expected = tmp_path / "lerobot" / "calibration" / "teleoperators" / "so_leader" / "arm.json"
    assert default_calibration_path("arm") == expected
    # an older lerobot's layout is found when that is the file the user has
    old = tmp_path / "lerobot" / "calibration" / "teleoperators" / "so101_leader" / "arm.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps(LEROBOT_CALIBRATION))
    assert default_calibration_path("arm") == old


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.pop("gripper"), "missing joint"),
        (lambda c: c["elbow_flex"].update(id=9), "has id 9"),
        (
            lambda c: c["wrist_flex"].update(range_min=3000, range_max=3000),
            "not an increasing range",
        ),
        (lambda c: c["shoulder_pan"].pop("homing_offset"), "needs integer"),
        (lambda c: c["shoulder_pan"].update(homing_offset=3000), "homing_offset 3000"),
    ],
)
def test_bad_calibration_files_say_what_is_wrong(
    tmp_path: Path, edit: object, message: str
) -> None:
    raw = json.loads(json.dumps(LEROBOT_CALIBRATION))
    edit(raw)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(CalibrationError, match=message):
        load_calibration(path)
    path.write_text("{not json")
    with pytest.raises(CalibrationError, match="cannot read"):
        load_calibration(path)


def test_connect_while_unplugged_then_arm_appears(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    """The server may start before the arm is plugged in: reads fail until it shows up."""
    sim.unplug()
    leader = make_leader(sim, calibration_file, reconnect_interval_s=0.0)
    with pytest.raises(DeviceError, match="cannot open serial port"):
        leader.connect(None)
    with pytest.raises(DeviceError, match="cannot open serial port"):
        leader.read(None)
    sim.replug()
    sim.store_calibration(LEROBOT_CALIBRATION)  # the arm was calibrated before
    sim.set_present_positions(present_for({"shoulder_lift": -75.0}))
    assert leader.read(None)[1] == pytest.approx(-75.0, abs=0.15)
    assert leader.health().connected
    leader.disconnect()
