"""Two SO-101 leader arms on two simulated STS3215 buses (ptys) as one device: both read in
every tick in the task's arm order, a calibration each (lerobot's `{id}_left`/`{id}_right`
files by default), a fault named by its side, and the session config's checks on how leader
arms are listed. Gestures work from either arm."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from leisaac_core.motors.feetech import protocol
from leisaac_core.session import SessionConfig
from leisaac_core.session.gestures import GestureDetector, HandsFreeConfig
from leisaac_core.teleop import Device, DeviceError, make_device_from_configs
from leisaac_core.teleop.so101_leader.calibration import default_calibration_path
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig
from tests.support.leader_poses import AWAY, CALIBRATION, REST, raw_ticks, with_gripper
from tests.support.sts3215_bus import SimulatedBus

TWO_ARMS = "bi_so101_clean_toy_table"


@pytest.fixture
def buses() -> Iterator[dict[str, SimulatedBus]]:
    with SimulatedBus("pty") as left, SimulatedBus("pty") as right:
        yield {"left": left, "right": right}


@pytest.fixture
def calibrations(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for side in ("left", "right"):
        out[side] = tmp_path / f"{side}.json"
        out[side].write_text(json.dumps(CALIBRATION))
    return out


def _configs(buses, calibrations, order=("left", "right"), **kw) -> list[SO101LeaderConfig]:
    return [
        SO101LeaderConfig(
            port=buses[side].url,
            arm=side,
            calibration_path=calibrations[side],
            timeout_s=0.1,
            **kw,
        )
        for side in order
    ]


class _TwoArmEnv:
    """What the device reads of an env: its joint names (lerobot's bimanual order)."""

    joint_names = tuple(
        f"{side}_{j}.pos"
        for side in ("left", "right")
        for j in ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
        + ("gripper",)
    )


def test_reads_both_arms_each_tick_in_the_tasks_order(buses, calibrations) -> None:
    # Listed right first: the device still hands the env left then right, as its joints are.
    device = make_device_from_configs(_configs(buses, calibrations, order=("right", "left")))
    assert isinstance(device, Device) and device.name == "bi_so101_leader" and device.realtime
    buses["left"].set_positions(raw_ticks(REST))
    buses["right"].set_positions(raw_ticks(AWAY))
    device.connect(_TwoArmEnv())  # type: ignore[arg-type]
    try:
        before = {s: b.requests(protocol.SYNC_READ) for s, b in buses.items()}
        action = device.read(None)
        after = {s: b.requests(protocol.SYNC_READ) for s, b in buses.items()}
    finally:
        device.disconnect()
    assert action.shape == (12,)
    np.testing.assert_allclose(action[:6], REST, atol=0.1)
    np.testing.assert_allclose(action[6:], AWAY, atol=0.1)
    assert all(after[s] - before[s] == 1 for s in buses), "one sync read per arm and tick"


def test_an_unplugged_arm_holds_both_names_its_side_and_comes_back(buses, calibrations) -> None:
    """One arm unplugged: both arms hold their last targets and `hold_reason` (the session
    pauses the episode on it) names the side; retried while paused, it clears by itself."""
    device = make_device_from_configs(
        _configs(buses, calibrations, reconnect_interval_s=0.2, retries=0)
    )
    for bus in buses.values():
        bus.set_positions(raw_ticks(REST))
    device.connect(_TwoArmEnv())  # type: ignore[arg-type]
    try:
        before = device.read(None)
        assert device.hold_reason == ""
        buses["right"].unplug()
        buses["left"].set_positions(raw_ticks(AWAY))
        held = device.read(None)
        np.testing.assert_allclose(held[6:], before[6:])  # the right arm's last reading
        reason = device.hold_reason
        assert reason.startswith("right leader arm") and "left" not in reason
        assert "retries every" in reason  # the arm is retried: plugging it back in is enough
        health = device.health()
        assert not health.connected and health.message.startswith("right leader arm")
        buses["right"].replug()
        buses["right"].set_positions(raw_ticks(AWAY))
        deadline = time.monotonic() + 10
        while device.hold_reason:  # retried at the arm's reconnect interval while paused
            assert time.monotonic() < deadline, "the right arm never came back"
            time.sleep(0.05)
        action = device.read(None)
        np.testing.assert_allclose(action[6:], AWAY, atol=0.1)
        assert device.health().connected
    finally:
        device.disconnect()


def test_a_fault_before_the_first_reading_fails_naming_the_side(buses, calibrations) -> None:
    device = make_device_from_configs(_configs(buses, calibrations, retries=0))
    for bus in buses.values():
        bus.set_positions(raw_ticks(REST))
    device.connect(_TwoArmEnv())  # type: ignore[arg-type]
    try:
        buses["left"].unplug()
        with pytest.raises(DeviceError, match=r"^left leader arm"):
            device.read(None)  # nothing to hold yet
    finally:
        device.disconnect()


def test_a_side_that_cannot_connect_is_named_and_nothing_stays_open(buses, calibrations) -> None:
    buses["left"].unplug()
    device = make_device_from_configs(_configs(buses, calibrations, retries=0))
    with pytest.raises(DeviceError, match=r"^left leader arm"):
        device.connect(_TwoArmEnv())  # type: ignore[arg-type]
    right = device.arms["right"]  # type: ignore[attr-defined]
    assert right._arm is None, "the right arm's port is not left open"


def test_each_arm_has_lerobots_bimanual_calibration_file_by_default() -> None:
    left = SO101LeaderConfig(port="socket://x:1", arm="left", id="station")
    assert left.calibration_id == "station_left"
    device = make_device_from_configs(
        [left, SO101LeaderConfig(port="socket://x:2", arm="right", id="station")]
    )
    paths = {side: arm.calibration_path for side, arm in device.arms.items()}  # type: ignore[attr-defined]
    assert paths == {
        "left": default_calibration_path("station_left"),
        "right": default_calibration_path("station_right"),
    }


def _body(devices, task=TWO_ARMS):
    return {"env": {"task": task}, "devices": devices, "dataset": {"repo_id": "op/two"}}


def _leader(port: str, arm: str | None = None) -> dict:
    return {"type": "so101_leader", "port": port, **({"arm": arm} if arm else {})}


@pytest.mark.parametrize(
    ("devices", "task", "message"),
    [
        ([_leader("a")], TWO_ARMS, "the task has 2 arms \\(left, right\\): list one so101_leader"),
        ([_leader("a", "left"), _leader("b")], TWO_ARMS, "need each its own arm"),
        ([_leader("a", "left"), _leader("b", "left")], TWO_ARMS, "need each its own arm"),
        ([_leader("a", "left"), _leader("a", "right")], TWO_ARMS, "on one port"),
        ([_leader("a", "left")], "so101_pick_orange", "the task has one arm; leave"),
        ([{"type": "scripted"}, _leader("a", "left")], TWO_ARMS, "one so101_leader per arm"),
    ],
    ids=["one-leader", "no-side", "same-side", "same-port", "side-on-one-arm", "mixed"],
)
def test_session_config_says_how_to_list_leader_arms(devices, task, message) -> None:
    with pytest.raises(ValidationError, match=message):
        SessionConfig.model_validate(_body(devices, task))


def test_two_leaders_make_a_valid_two_arm_session() -> None:
    config = SessionConfig.model_validate(_body([_leader("a", "left"), _leader("b", "right")]))
    assert config.driver == "bi_so101_leader"
    refused = {**_body([_leader("a", "left")]), "policy": {"url": "ws://127.0.0.1:1"}}
    with pytest.raises(ValidationError, match="keyboard or a gamepad"):
        SessionConfig.model_validate(refused)


def test_gestures_from_either_arm_with_both_at_rest() -> None:
    detector = GestureDetector(HandsFreeConfig())
    rest_open = with_gripper(REST, 60.0)  # a relaxed hand: gripper half open
    both = np.concatenate([rest_open, rest_open])
    assert detector.update(both, 0.0) is None
    assert detector.update(np.concatenate([rest_open, AWAY]), 0.5) is None  # armed
    # The right arm back at rest, its gripper closed, held: success, from the right arm.
    closed_right = np.concatenate([rest_open, REST])
    assert detector.update(closed_right, 1.0) is None
    assert detector.update(closed_right, 2.05) == "success"
    # The left gripper wide open at rest while the right arm is away: no gesture.
    detector.update(np.concatenate([rest_open, AWAY]), 3.0)
    open_left_away = np.concatenate([with_gripper(REST, 100.0), AWAY])
    assert all(detector.update(open_left_away, 3 + t / 10) is None for t in range(30))
    # Both at rest, the left gripper open: failure, from the left arm.
    open_left = np.concatenate([with_gripper(REST, 100.0), rest_open])
    assert detector.update(open_left, 7.0) is None
    assert detector.update(open_left, 8.05) == "failure"
