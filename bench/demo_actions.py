"""The action sequence the simulation benches replay: a scripted demonstration, recorded once
at a tiny camera size so that every bench row steps the arm through the same scene."""

from __future__ import annotations

import numpy as np

from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.teleop import make_device_config, make_device_from_config


def record_actions(ticks: int, task: str, seed: int) -> np.ndarray:
    env = make_env_from_config(
        make_env_config("mujoco", task=task, camera_width=16, camera_height=16)
    )
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    step = env.reset(seed=seed)
    device.reset(seed)
    actions = []
    for _ in range(ticks):
        action = device.read(step)
        actions.append(action)
        step = env.step(action)
    env.close()
    return np.array(actions)
