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
# Backends that only ever run in an env host process.
ALWAYS_HOSTED: frozenset[str] = frozenset({IsaacLabEnvConfig.type})


def make_env_config(backend: str, **kwargs: object) -> EnvConfig:
    try:
        config_cls = ENV_CONFIGS[backend]
    except KeyError:
        known = ", ".join(sorted(ENV_CONFIGS))
        raise ValueError(f"unknown sim backend {backend!r}; choose one of: {known}") from None
    return config_cls(**kwargs)  # type: ignore[arg-type]


def make_env_from_config(config: EnvConfig, env_process: bool | None = None) -> Env:
    """Build the env for `config`, in this process or in an env host process of its own.

    `env_process` None means the backend's default: Isaac Lab always runs in its own process
    (Isaac Sim owns its process's main thread, event-loop policy and stage, and cannot build a
    second env after a failed or closed one); MuJoCo runs in this process unless asked.
    """
    hosted = env_process if env_process is not None else config.type in ALWAYS_HOSTED
    if config.type in ALWAYS_HOSTED and not hosted:
        raise ValueError(
            f"the {config.type} backend always runs in its own env host process; "
            "leave env_process unset or true"
        )
    if hosted:
        from leisaac_core.sim.host import HostedEnv

        return HostedEnv(config)
    return build_env_in_this_process(config)


def build_env_in_this_process(config: EnvConfig) -> Env:
    """The backend's env in the calling process (the env host uses this on its main thread)."""
    if isinstance(config, MujocoEnvConfig):
        from leisaac_core.sim.mujoco.env import MujocoEnv

        return MujocoEnv(config)
    if isinstance(config, IsaacLabEnvConfig):
        from leisaac_core.sim.isaaclab.env import IsaacLabEnv

        return IsaacLabEnv(config)
    raise ValueError(f"no backend for config {type(config).__name__}")


__all__ = [
    "CameraSpec",
    "ALWAYS_HOSTED",
    "ENV_CONFIGS",
    "Env",
    "EnvConfig",
    "EnvError",
    "Step",
    "build_env_in_this_process",
    "make_env_config",
    "make_env_from_config",
]
