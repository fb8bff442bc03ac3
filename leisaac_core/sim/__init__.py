"""Simulation backends behind one `Env` protocol, created by name.

Backends are imported lazily: `make_env_from_config` is the only place that imports a
simulator, so choosing MuJoCo never imports Isaac Lab and vice versa.
"""

from __future__ import annotations

from leisaac_core.sim.base import CameraSpec, Env, EnvError, Step
from leisaac_core.sim.config import EnvConfig
from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig
from leisaac_core.sim.mujoco.config import MujocoEnvConfig

ENV_CONFIGS: dict[str, type[EnvConfig]] = {
    MujocoEnvConfig.type: MujocoEnvConfig,
    IsaacLabEnvConfig.type: IsaacLabEnvConfig,
}


def make_env_config(backend: str, **kwargs: object) -> EnvConfig:
    try:
        config_cls = ENV_CONFIGS[backend]
    except KeyError:
        known = ", ".join(sorted(ENV_CONFIGS))
        raise ValueError(f"unknown sim backend {backend!r}; choose one of: {known}") from None
    return config_cls(**kwargs)  # type: ignore[arg-type]


def make_env_from_config(config: EnvConfig) -> Env:
    if isinstance(config, MujocoEnvConfig):
        from leisaac_core.sim.mujoco.env import MujocoEnv

        return MujocoEnv(config)
    if isinstance(config, IsaacLabEnvConfig):
        from leisaac_core.sim.isaaclab.env import IsaacLabEnv

        return IsaacLabEnv(config)
    raise ValueError(f"no backend for config {type(config).__name__}")


__all__ = [
    "CameraSpec",
    "ENV_CONFIGS",
    "Env",
    "EnvConfig",
    "EnvError",
    "Step",
    "make_env_config",
    "make_env_from_config",
]
