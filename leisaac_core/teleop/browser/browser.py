"""Keyboard and gamepad teleoperation from the browser page.

Key and gamepad state arrive as websocket messages; the web layer puts them on the session's
command queue and the worker thread hands them to `handle_input`, so this device, like every
other, is only touched by the worker thread. Mapping as in LeIsaac: W/S forward/back and Q/E
up/down move the gripper in the base frame through damped-least-squares IK on shoulder lift
and elbow; A/D pan, J/L wrist roll, K/I wrist pitch and U/O gripper move their joints
directly. A gamepad (Xbox layout, standard browser mapping) drives the same motions with a
0.5 deadzone.

Two arms (LeIsaac has no keyboard for them): the keys drive one arm at a time, the one the
page names in `arm` (its switch: keys 1 and 2, or the gamepad's d-pad left and right); the
other arm holds its pose and its grip, so an object one gripper holds stays held while the
other arm works.

Taps: a key pressed and released between two ticks (a quick tap, or a press and its release
bunched together by the network) still moves its joint one tick's step: the keys of every
message since the last tick count, not only the newest message's, so fine placement by
tapping does not depend on where the messages fall between ticks.

Speed: the page sends `speed`, a fraction of LeIsaac's per-tick steps (its slider, times the
precision factor while Shift is held). LeIsaac's full steps (1 cm and 0.15 rad per tick, i.e.
30 cm/s and 4.5 rad/s at 30 Hz) swing a joint across its range in half a second, too fast for
a first grasp; without a `speed` the device uses DEFAULT_SPEED.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from leisaac_core import so101
from leisaac_core.sim.base import Env, Step
from leisaac_core.teleop.base import DeviceHealth
from leisaac_core.teleop.browser.config import GamepadDeviceConfig, KeyboardDeviceConfig
from leisaac_core.teleop.input_timing import InputTiming

# Per-tick steps while a key is held at speed 1 (LeIsaac's keyboard defaults).
LINEAR_STEP_M = 0.01
ANGULAR_STEP_RAD = 0.15
# Fraction of those steps without a `speed` in the input (the page's default too): 7.5 cm/s
# and 1.1 rad/s at 30 Hz.
DEFAULT_SPEED = 0.25
MIN_SPEED = 0.02
# Input older than this is treated as released: a tab that lost focus or a dropped socket
# must not leave the arm moving.
STALE_INPUT_S = 0.5
GAMEPAD_DEADZONE = 0.5

PAN, LIFT, ELBOW, WRIST_FLEX, WRIST_ROLL, GRIPPER = range(6)


def _axis(value: float) -> float:
    return 0.0 if abs(value) < GAMEPAD_DEADZONE else float(np.sign(value))


def motion_from_input(message: Mapping[str, Any]) -> dict[str, float]:
    """Direction (-1, 0, +1) per motion from held keys (KeyboardEvent.code) and gamepad state."""
    keys = set(message.get("keys") or ())
    axes = list(message.get("axes") or ())[:4] + [0.0] * 4
    buttons = [float(b) for b in (message.get("buttons") or ())][:8] + [0.0] * 8

    def pair(plus: str, minus: str) -> float:
        return float((plus in keys) - (minus in keys))

    motion = {
        "forward": pair("KeyW", "KeyS") - _axis(axes[1]),  # stick up is negative
        "up": pair("KeyQ", "KeyE") - _axis(axes[3]),
        "pan": pair("KeyA", "KeyD") - _axis(axes[0]),
        "roll": pair("KeyL", "KeyJ") + _axis(axes[2]),
        "pitch": pair("KeyK", "KeyI") + (buttons[5] > 0.5) - (buttons[4] > 0.5),
        "gripper": pair("KeyO", "KeyU") + (buttons[7] > 0.5) - (buttons[6] > 0.5),
    }
    return {k: float(np.clip(v, -1.0, 1.0)) for k, v in motion.items()}


def made_at_server_time(message: Mapping[str, Any]) -> float | None:
    """When the page made an input message, in the server's clock (s): its `sent_at` (the
    page's clock, ms) plus its `clock_offset_ms` estimate; None when the page sent no
    stamp (an older page, a script) or the server did not mark its arrival."""
    try:
        sent = float(message["sent_at"])
        offset = float(message["clock_offset_ms"])
        float(message["received_at"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(sent) and np.isfinite(offset)):
        return None
    return (sent + offset) / 1e3


def speed_from_input(message: Mapping[str, Any]) -> float:
    """The page's speed fraction, clamped to [MIN_SPEED, 1]; DEFAULT_SPEED when absent or bad."""
    try:
        speed = float(message.get("speed", DEFAULT_SPEED))
    except (TypeError, ValueError):
        return DEFAULT_SPEED
    if not np.isfinite(speed):
        return DEFAULT_SPEED
    return float(np.clip(speed, MIN_SPEED, 1.0))


class BrowserDevice:
    intervention = False  # a person drives it: never an override
    starved_ticks = None  # always has an action
    hold_reason = ""  # no keys pressed is a valid input: the arm stays

    realtime = True

    def __init__(self, config: KeyboardDeviceConfig | GamepadDeviceConfig) -> None:
        from leisaac_core.kinematics import SO101Kinematics

        self.config = config
        self._kinematics = SO101Kinematics()
        self._target: np.ndarray | None = None  # joint targets, radians (6 per arm)
        self._arms: list[str] = [""]  # the env's arms ("" for one unnamed arm)
        self._arm = 0  # the arm the keys drive
        self._input: Mapping[str, Any] = {}
        self._input_time = 0.0
        self._keys_since_tick: set[str] = set()  # keys any message held since the last tick
        self._reads = 0
        # Each input message's age when a tick first acts on it, and its one-way latency,
        # as for a remote leader's samples (the page stamps it and says its clock offset).
        self.input_timing = InputTiming()
        self._unused_made_at: float | None = None  # server clock, s

    @property
    def name(self) -> str:
        return self.config.type

    def connect(self, env: Env) -> None:
        self._target = None
        prefixes = [n.removesuffix("shoulder_pan.pos") for n in env.joint_names]
        self._arms = [p.removesuffix("_") for p in prefixes if not p.endswith(".pos")]
        self._arm = 0

    def reset(self, seed: int | None) -> None:
        self._target = None  # re-seeded from the first observation after the reset
        self._keys_since_tick.clear()
        self.input_timing.restart()

    def handle_input(self, message: Mapping[str, Any]) -> None:
        self._input = dict(message)
        self._input_time = time.monotonic()
        self._keys_since_tick.update(message.get("keys") or ())
        made = made_at_server_time(message)
        if made is not None:
            received = float(message["received_at"]) / 1e3
            self.input_timing.arrived(received - made, self._input_time)
            self.input_timing.clock_offset_s = float(message["clock_offset_ms"]) / 1e3
            self._unused_made_at = made
        arm = message.get("arm")
        if arm in self._arms:
            self._arm = self._arms.index(arm)

    def read(self, step: Step) -> np.ndarray:
        if self._target is None:
            self._target = so101.normalized_to_radians(step.state)
        self._reads += 1
        if self._unused_made_at is not None:
            self.input_timing.used(time.time() - self._unused_made_at)
            self._unused_made_at = None
        fresh = time.monotonic() - self._input_time < STALE_INPUT_S
        motion = motion_from_input(self._input) if fresh else {}
        if self._keys_since_tick:
            # A motion the newest message does not hold was tapped since the last tick.
            tapped = motion_from_input({"keys": sorted(self._keys_since_tick)})
            motion = {name: motion.get(name) or tapped[name] for name in tapped}
            self._keys_since_tick.clear()
        if any(motion.values()):
            self._apply(motion, speed_from_input(self._input))
        return so101.radians_to_normalized(self._target)

    def _apply(self, motion: Mapping[str, float], speed: float) -> None:
        assert self._target is not None
        arm = so101.arm_slice(self._arm)
        self._target[arm] = self._move(self._target[arm], motion, speed)

    def _move(self, arm: np.ndarray, motion: Mapping[str, float], speed: float) -> np.ndarray:
        """One arm's joint targets after one tick of `motion` (its own base frame)."""
        linear, angular = LINEAR_STEP_M * speed, ANGULAR_STEP_RAD * speed
        q = arm.copy()
        if motion["forward"] or motion["up"]:
            tool = self._kinematics.fk(q).position
            # "Forward" is away from the base in the arm's current heading.
            heading = np.array([tool[0], tool[1], 0.0])
            norm = np.linalg.norm(heading)
            heading = heading / norm if norm > 1e-6 else np.array([1.0, 0.0, 0.0])
            goal = tool + linear * (
                motion["forward"] * heading + motion["up"] * np.array([0, 0, 1.0])
            )
            # The IK's default tolerance (0.5 mm) would swallow a slow step whole.
            q = self._kinematics.ik(
                goal, q, active=(LIFT, ELBOW), iterations=20, tolerance=linear / 20
            ).joint_radians
        q[PAN] += angular * motion["pan"]
        q[WRIST_ROLL] += angular * motion["roll"]
        q[WRIST_FLEX] += angular * motion["pitch"]
        q[GRIPPER] += angular * motion["gripper"]
        low = np.deg2rad([so101.JOINT_LIMITS_DEG[j][0] for j in so101.JOINTS])
        high = np.deg2rad([so101.JOINT_LIMITS_DEG[j][1] for j in so101.JOINTS])
        return np.clip(q, low, high)

    def health(self) -> DeviceHealth:
        fresh = time.monotonic() - self._input_time < STALE_INPUT_S
        two_arms = len(self._arms) > 1
        return DeviceHealth(
            connected=True,
            message=""
            if fresh
            else "no input from the browser: take control and hold keys to move",
            reads=self._reads,
            details={
                **self.input_timing.live_figures(),
                # Which arm the keys drive, for the page's switch (two-arm tasks).
                **({"arm": self._arms[self._arm], "arms": list(self._arms)} if two_arms else {}),
            },
        )

    def disconnect(self) -> None:
        self._target = None
