"""The policy device speaks the session's robot identity to its server: observation.state
and actions in that identity's units (the env's stay normalized), the scripted expert
follows the client's identity, and a server whose metadata names the other robot_type is
refused naming --identity."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.policy.config import PolicyDeviceConfig
from leisaac_core.policy.expert import ExpertPolicy
from leisaac_core.teleop import DeviceError, make_device_config, make_device_from_config


class Recording:
    """Replies with one fixed chunk (in degrees) and keeps the observations it got."""

    def __init__(self, actions: np.ndarray, metadata: Mapping[str, Any] | None = None) -> None:
        self.actions = actions
        self.metadata = metadata or {}
        self.seen: list[np.ndarray] = []

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        self.seen.append(np.asarray(observation["observation.state"]))
        return {"actions": self.actions}


def test_state_and_actions_are_in_the_identity_units(make_mujoco_env, serve_policy) -> None:
    env = make_mujoco_env("so101_lift_cube")
    degrees = np.array([[10.0, -80.0, 70.0, 40.0, 5.0, 20.0]] * 4, dtype=np.float32)
    policy = Recording(degrees)
    server = serve_policy(lambda: policy)
    device = make_device_from_config(
        PolicyDeviceConfig(url=server.url, identity="lerobot", lockstep=True)
    )
    device.connect(env)
    try:
        step = env.reset(seed=0)
        device.reset(0)
        action = device.read(step)
    finally:
        device.disconnect()
    np.testing.assert_allclose(action, so101.from_units(degrees[0], "degrees"), atol=1e-4)
    np.testing.assert_allclose(policy.seen[0], so101.to_units(step.state, "degrees"), atol=1e-4)


def test_the_expert_solves_the_task_in_either_identity(make_mujoco_env, serve_policy) -> None:
    env = make_mujoco_env("so101_lift_cube")
    server = serve_policy(lambda: ExpertPolicy(chunk_size=1))
    local = make_device_from_config(make_device_config("scripted"))
    local.connect(env)
    step = env.reset(seed=3)
    local.reset(3)
    expected = np.array(local.read(step))
    for identity in ("lerobot", "leisaac"):
        device = make_device_from_config(
            PolicyDeviceConfig(url=server.url, identity=identity, lockstep=True)
        )
        device.connect(env)
        step = env.reset(seed=3)
        device.reset(3)
        got = np.array(device.read(step))
        device.disconnect()
        np.testing.assert_allclose(got, expected, atol=1e-3)


def test_a_server_trained_on_the_other_identity_is_refused(make_mujoco_env, serve_policy):
    env = make_mujoco_env("so101_lift_cube")
    server = serve_policy(
        lambda: Recording(np.zeros((1, 6), np.float32), {"robot_type": "so101_follower"})
    )
    device = make_device_from_config(
        PolicyDeviceConfig(url=server.url, identity="lerobot", lockstep=True)
    )
    device.connect(env)
    try:
        step = env.reset(seed=0)
        device.reset(0)
        deadline = time.monotonic() + 10
        with pytest.raises(DeviceError, match="--identity leisaac"):
            while time.monotonic() < deadline:
                device.read(step)
    finally:
        device.disconnect()
