"""Fixtures shared across test folders. Keep this file small."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from leisaac_core.sim import Env, make_env_config, make_env_from_config


@pytest.fixture
def make_mujoco_env() -> Iterator[Callable[..., Env]]:
    """Create real MuJoCo envs (small cameras by default, to keep rendering cheap); every env
    made here is closed after the test."""
    envs: list[Env] = []

    def make(task: str = "so101_pick_orange", width: int = 32, height: int = 24, **kw: object):
        env = make_env_from_config(
            make_env_config("mujoco", task=task, camera_width=width, camera_height=height, **kw)
        )
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()
