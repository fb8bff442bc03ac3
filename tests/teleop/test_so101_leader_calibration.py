"""The calibration state machine, driven step by step against the simulated bus as the web
page or the CLI would: the values written to the servos and the saved lerobot JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from leisaac_core.motors.feetech import NoResponseError
from leisaac_core.so101 import JOINTS
from leisaac_core.teleop.so101_leader.arm_bus import LeaderArmBus
from leisaac_core.teleop.so101_leader.calibration import CalibrationError
from leisaac_core.teleop.so101_leader.calibrator import CalibrationStep, LeaderCalibrator
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig
from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader
from tests.support.sts3215_bus import SimulatedBus

# Actual shaft positions of the arm held in its middle pose (ticks, joint order).
MID_POSE = [1000, 3000, 2000, 2500, 100, 1500]
# Offsets from the middle that the operator reaches during the sweep, per joint.
SWEEP_LOW = [-700, -900, -800, -1000, 0, -30]
SWEEP_HIGH = [650, 950, 780, 1000, 1500, 900]


@pytest.fixture
def sim() -> Iterator[SimulatedBus]:
    with SimulatedBus("pty") as bus:
        # a previous calibration left on the servos: the procedure must clear it first
        for servo in bus.servos.values():
            servo.table[31:33] = (0x800 | 300).to_bytes(2, "little")
        yield bus


@pytest.fixture
def arm(sim: SimulatedBus) -> Iterator[LeaderArmBus]:
    bus = LeaderArmBus(sim.url, timeout_s=0.1)
    yield bus
    bus.close()


def sweep(sim: SimulatedBus, calibrator: LeaderCalibrator, steps: int = 5) -> None:
    """The operator moves every joint to both ends of its range, sampled live."""
    for k in range(steps + 1):
        frac = k / steps
        sim.set_positions([m + frac * lo for m, lo in zip(MID_POSE, SWEEP_LOW, strict=True)])
        calibrator.sample()
    for k in range(steps + 1):
        frac = k / steps
        sim.set_positions([m + frac * hi for m, hi in zip(MID_POSE, SWEEP_HIGH, strict=True)])
        calibrator.sample()
    sim.set_positions(MID_POSE)


def test_full_procedure_writes_servos_and_saves_lerobot_json(
    sim: SimulatedBus, arm: LeaderArmBus, tmp_path: Path
) -> None:
    output = tmp_path / "calib" / "leader.json"
    calibrator = LeaderCalibrator(arm, output)
    sim.set_positions(MID_POSE)

    first = calibrator.start()
    assert first.step is CalibrationStep.MID_POSE
    # the old homing offset is cleared, so live positions are the raw shaft positions
    assert list(first.positions.values()) == MID_POSE
    for servo in sim.servos.values():
        assert servo.get("Torque_Enable") == 0 and servo.get("Lock") == 0

    after_mid = calibrator.mid_pose_done()
    assert after_mid.step is CalibrationStep.RANGE
    assert set(after_mid.positions.values()) == {2047}  # every joint now reads mid-range
    sweep(sim, calibrator)
    live = calibrator.sample()
    assert live.range_min["shoulder_pan"] == 2047 - 700
    assert live.range_max["gripper"] == 2047 + 900
    assert (live.range_min["wrist_roll"], live.range_max["wrist_roll"]) == (0, 4095)
    json.dumps(live.to_json())  # the web page gets this as JSON

    calibration = calibrator.finish()
    assert calibrator.step is CalibrationStep.DONE

    saved = json.loads(output.read_text())
    assert list(saved) == list(JOINTS)
    for index, joint in enumerate(JOINTS):
        entry = saved[joint]
        assert list(entry) == ["id", "drive_mode", "homing_offset", "range_min", "range_max"]
        assert entry["id"] == index + 1 and entry["drive_mode"] == 0
        assert entry["homing_offset"] == MID_POSE[index] - 2047
        if joint == "wrist_roll":
            assert (entry["range_min"], entry["range_max"]) == (0, 4095)
        else:
            assert entry["range_min"] == 2047 + SWEEP_LOW[index]
            assert entry["range_max"] == 2047 + SWEEP_HIGH[index]
        assert calibration[joint].homing_offset == entry["homing_offset"]

        servo = sim.servos[index + 1]
        assert servo.homing_offset() == entry["homing_offset"]
        assert servo.get("Min_Position_Limit") == entry["range_min"]
        assert servo.get("Max_Position_Limit") == entry["range_max"]
        assert servo.eeprom_writes_while_locked() == []
    # sign-magnitude on the wire: shoulder_pan's offset is negative (1000 - 2047)
    assert sim.servos[1].get("Homing_Offset") == 0x800 | 1047


def test_saved_file_drives_the_device(sim: SimulatedBus, arm: LeaderArmBus, tmp_path: Path) -> None:
    output = tmp_path / "leader.json"
    calibrator = LeaderCalibrator(arm, output)
    sim.set_positions(MID_POSE)
    calibrator.start()
    calibrator.mid_pose_done()
    sweep(sim, calibrator)
    calibrator.finish()
    arm.close()

    leader = SO101Leader(SO101LeaderConfig(port=sim.url, calibration_path=output, timeout_s=0.1))
    leader.connect(None)
    sim.set_positions([m + lo for m, lo in zip(MID_POSE, SWEEP_LOW, strict=True)])
    low = leader.read(None)
    assert list(low[[0, 1, 2, 3]]) == [-100.0] * 4 and low[5] == 0.0
    sim.set_positions([m + hi for m, hi in zip(MID_POSE, SWEEP_HIGH, strict=True)])
    high = leader.read(None)
    assert list(high[[0, 1, 2, 3]]) == [100.0] * 4 and high[5] == 100.0
    leader.disconnect()


def test_a_joint_that_did_not_move_is_named_and_can_be_redone(
    sim: SimulatedBus, arm: LeaderArmBus, tmp_path: Path
) -> None:
    output = tmp_path / "leader.json"
    calibrator = LeaderCalibrator(arm, output)
    sim.set_positions(MID_POSE)
    calibrator.start()
    calibrator.mid_pose_done()
    with pytest.raises(CalibrationError, match="barely moved: shoulder_pan") as info:
        calibrator.finish()
    assert "wrist_roll" not in str(info.value)  # its range is fixed, it needs no sweep
    assert not output.exists()
    assert calibrator.step is CalibrationStep.RANGE
    sweep(sim, calibrator)
    calibrator.finish()
    assert output.exists()


def test_steps_out_of_order_are_refused(arm: LeaderArmBus, tmp_path: Path) -> None:
    calibrator = LeaderCalibrator(arm, tmp_path / "leader.json")
    with pytest.raises(CalibrationError, match="at step 'idle'"):
        calibrator.mid_pose_done()
    with pytest.raises(CalibrationError, match="needs range"):
        calibrator.finish()
    assert calibrator.sample().positions == {}  # nothing to show before start
    calibrator.start()
    with pytest.raises(CalibrationError, match="at step 'mid_pose'"):
        calibrator.start()
    calibrator.cancel()
    assert calibrator.start().step is CalibrationStep.MID_POSE  # may start over


def test_mid_pose_at_the_end_of_a_turn_asks_to_move_away(
    sim: SimulatedBus, arm: LeaderArmBus, tmp_path: Path
) -> None:
    calibrator = LeaderCalibrator(arm, tmp_path / "leader.json")
    sim.set_positions([4095, 3000, 2000, 2500, 100, 1500])
    calibrator.start()
    with pytest.raises(CalibrationError, match="shoulder_pan reads 4095"):
        calibrator.mid_pose_done()
    sim.set_positions(MID_POSE)
    assert calibrator.mid_pose_done().step is CalibrationStep.RANGE


def test_dead_servo_during_calibration_raises_a_bus_error(
    sim: SimulatedBus, arm: LeaderArmBus, tmp_path: Path
) -> None:
    sim.servos[2].alive = False
    calibrator = LeaderCalibrator(arm, tmp_path / "leader.json")
    with pytest.raises(NoResponseError, match=r"shoulder_lift \(id 2\)"):
        calibrator.start()
