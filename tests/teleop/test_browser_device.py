"""Keyboard / gamepad teleop: holding a key moves the arm the expected way in real MuJoCo."""

from __future__ import annotations

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.kinematics import SO101Kinematics
from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.teleop import make_device_config, make_device_from_config
from leisaac_core.teleop.browser.browser import (
    ANGULAR_STEP_RAD,
    DEFAULT_SPEED,
    LINEAR_STEP_M,
    MIN_SPEED,
    motion_from_input,
    speed_from_input,
)


@pytest.fixture
def env():
    env = make_env_from_config(
        make_env_config("mujoco", task="so101_pick_orange", camera_width=64, camera_height=48)
    )
    yield env
    env.close()


def _hold(env, device, message: dict, ticks: int, before: dict | None = None):
    """Reset, optionally hold `before` keys to leave the folded rest pose, settle, then hold
    `message` for `ticks`; return the steps before and after."""
    step = env.reset(seed=0)
    device.reset(0)
    for _ in range(10 if before else 0):
        device.handle_input(before)
        step = env.step(device.read(step))
    device.handle_input({})
    for _ in range(10):  # settle with no keys held
        step = env.step(device.read(step))
    start = step
    for _ in range(ticks):
        device.handle_input(message)
        step = env.step(device.read(step))
    for _ in range(5):
        device.handle_input({})
        step = env.step(device.read(step))
    return start, step


def _tool(step) -> np.ndarray:
    return SO101Kinematics().fk(so101.normalized_to_radians(step.state)).position


def test_keys_map_like_leisaac() -> None:
    assert motion_from_input({"keys": ["KeyW"]})["forward"] == 1
    assert motion_from_input({"keys": ["KeyS"]})["forward"] == -1
    assert motion_from_input({"keys": ["KeyQ", "KeyE"]})["up"] == 0
    assert motion_from_input({"keys": ["KeyO"]})["gripper"] == 1
    assert motion_from_input({"keys": ["KeyU"]})["gripper"] == -1
    # Gamepad: a small stick deflection is inside the 0.5 deadzone.
    assert motion_from_input({"axes": [0.3, 0, 0, 0]})["pan"] == 0
    assert motion_from_input({"axes": [0, -0.9, 0, 0]})["forward"] == 1
    assert motion_from_input({"buttons": [0, 0, 0, 0, 0, 0, 0, 1.0]})["gripper"] == 1


def test_holding_o_opens_the_gripper_and_u_closes_it(env) -> None:
    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    start, opened = _hold(env, device, {"keys": ["KeyO"]}, ticks=6)
    gripper = so101.JOINTS.index("gripper")
    assert opened.state[gripper] > start.state[gripper] + 10, "O opens (normalized units rise)"
    start, closed = _hold(env, device, {"keys": ["KeyU"]}, ticks=6)
    assert closed.state[gripper] <= start.state[gripper] + 1e-3


def test_holding_w_moves_the_gripper_forward_and_q_up(env) -> None:
    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    # From the folded rest pose the arm can only go up first (shoulder lift is at its limit).
    full = {"speed": 1.0}  # LeIsaac's steps
    start, moved = _hold(
        env, device, {"keys": ["KeyW"], **full}, ticks=10, before={"keys": ["KeyQ"], **full}
    )
    a, b = _tool(start), _tool(moved)
    assert np.hypot(b[0], b[1]) > np.hypot(a[0], a[1]) + 0.03, "W moves away from the base"
    start, moved = _hold(env, device, {"keys": ["KeyQ"], **full}, ticks=10)
    assert _tool(moved)[2] > _tool(start)[2] + 0.03, "Q moves up"


def test_speed_scales_the_steps_and_defaults_to_a_quarter() -> None:
    assert speed_from_input({}) == DEFAULT_SPEED == 0.25
    assert speed_from_input({"speed": 0.5}) == 0.5
    assert speed_from_input({"speed": 7}) == 1.0
    assert speed_from_input({"speed": -1}) == MIN_SPEED
    assert speed_from_input({"speed": "fast"}) == DEFAULT_SPEED
    assert speed_from_input({"speed": float("nan")}) == DEFAULT_SPEED


@pytest.mark.parametrize("speed", [1.0, 0.25, 0.03])
def test_q_raises_the_tool_in_proportion_to_speed(env, speed: float) -> None:
    """Also at a slow precision speed (0.3 mm a tick), which the IK's default
    tolerance used to swallow whole."""
    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    device.handle_input({"keys": ["KeyQ"], "speed": speed})
    targets = [so101.normalized_to_radians(device.read(step)) for _ in range(3)]
    kin = SO101Kinematics()
    rise = kin.fk(targets[-1]).position[2] - kin.fk(targets[0]).position[2]
    assert rise == pytest.approx(2 * LINEAR_STEP_M * speed, rel=0.25)


def test_stale_input_stops_the_arm(env) -> None:
    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    step = env.reset(seed=0)
    device.handle_input({"keys": ["KeyA"]})
    device._input_time -= 10  # the last message is old: as if the tab lost focus
    first = device.read(step)
    second = device.read(step)
    np.testing.assert_allclose(first, second)


def test_input_age_and_latency_in_the_servers_clock(env) -> None:
    """A page's input stamped with its clock and its offset estimate: the device times it as
    a remote leader's sample (latency at arrival, age at the first tick that acts on it)."""
    import time

    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    now_ms = time.time() * 1e3
    # The page's clock runs 5 s behind the server's and says so; the message took 20 ms.
    device.handle_input(
        {"keys": ["KeyW"], "sent_at": now_ms - 5020, "clock_offset_ms": 5000, "received_at": now_ms}
    )
    time.sleep(0.01)
    step = env.step(device.read(step))
    step = env.step(device.read(step))  # the same input again: not a new age
    device.handle_input({"keys": []})  # a script's input without a stamp: not timed
    step = env.step(device.read(step))
    figures = device.input_timing.episode_figures()
    assert figures.latency_p50_ms == pytest.approx(20, abs=1)
    assert 30 <= figures.age_p50_ms == figures.age_p99_ms < 1000  # 20 ms + the 10 ms wait
    assert figures.clock_offset_ms == 5000
    assert device.health().details["input_age_ms_p50"] == figures.age_p50_ms
    device.reset(1)
    assert device.input_timing.episode_figures().age_p50_ms is None


def test_two_arm_keys_drive_the_arm_the_page_names(make_mujoco_env) -> None:
    """One arm at a time: keys move the named arm, the other holds its pose and its grip;
    an arm the task lacks is ignored; health says which arm the keys drive."""
    env = make_mujoco_env("bi_so101_clean_toy_table")
    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    details = device.health().details
    assert (details["arm"], details["arms"]) == ("left", ["left", "right"])
    start = np.array(step.state)

    def hold(message: dict, ticks: int):
        nonlocal step
        for _ in range(ticks):
            device.handle_input(message)
            step = env.step(device.read(step))
        return np.array(step.state)

    after_left = hold({"keys": ["KeyA", "KeyO"], "arm": "left"}, 20)
    assert after_left[0] - start[0] > 10 and after_left[5] - start[5] > 10, "left pan, grip"
    np.testing.assert_allclose(after_left[6:], start[6:], atol=1.5)  # the right arm stays
    after_right = hold({"keys": ["KeyD"], "arm": "right"}, 20)
    assert after_right[6] - after_left[6] < -10, "the right arm pans"
    np.testing.assert_allclose(after_right[:6], after_left[:6], atol=1.5)  # left holds
    assert device.health().details["arm"] == "right"
    hold({"keys": ["KeyD"], "arm": "middle"}, 5)  # not an arm of this task: still the right
    assert device.health().details["arm"] == "right"
    one_arm = make_device_from_config(make_device_config("keyboard"))
    one_arm.connect(make_mujoco_env("so101_pick_orange"))
    assert "arm" not in one_arm.health().details


def test_a_tap_between_two_ticks_moves_one_step(env) -> None:
    """A press and its release that both arrive before the next tick (a quick tap, or two
    messages bunched by the network) move the joint one tick's step, not nothing; the next
    tick, with no key held, moves nothing."""
    device = make_device_from_config(make_device_config("keyboard"))
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    pan = so101.JOINTS.index("shoulder_pan")
    before = so101.normalized_to_radians(device.read(step))[pan]
    device.handle_input({"keys": ["KeyA"], "speed": 1.0})
    device.handle_input({"keys": [], "speed": 1.0})
    after_tap = so101.normalized_to_radians(device.read(step))[pan]
    assert after_tap - before == pytest.approx(ANGULAR_STEP_RAD, abs=1e-6)
    after_next = so101.normalized_to_radians(device.read(step))[pan]
    assert after_next == pytest.approx(after_tap, abs=1e-6)
    # A key held in the newest message wins over an opposite one tapped before it.
    device.handle_input({"keys": ["KeyA"], "speed": 1.0})
    device.handle_input({"keys": ["KeyD"], "speed": 1.0})
    assert so101.normalized_to_radians(device.read(step))[pan] == pytest.approx(
        after_next - ANGULAR_STEP_RAD, abs=1e-6
    )
