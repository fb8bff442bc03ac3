"""Simulation backends behind one `Env` protocol, created by name.

Backends are imported lazily: `make_env_from_config` is the only place that imports a
simulator, so choosing MuJoCo never imports Isaac Lab and vice versa.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Tag

from leisaac_core.sim.base import CameraSpec, Env, EnvError, Step
from leisaac_core.sim.config import EnvConfig, config_type
from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig
from leisaac_core.sim.mujoco.config import MujocoEnvConfig


def _backend_of(value: Any) -> Any:
    """The backend a config names; a body that names none means the embedded default."""
    if isinstance(value, dict):
        return value.get("type", "mujoco")
    return getattr(value, "type", None)


# Any backend's config, told apart by its `type` (a session body's `env`).
AnyEnvConfig = Annotated[
    Annotated[MujocoEnvConfig, Tag("mujoco")] | Annotated[IsaacLabEnvConfig, Tag("isaaclab")],
    Discriminator(
        _backend_of,
        custom_error_type="unknown_backend",
        custom_error_message="unknown sim backend; choose one of: isaaclab, mujoco",
    ),
]
ENV_CONFIGS: dict[str, type[EnvConfig]] = {
    config_type(cls): cls for cls in (MujocoEnvConfig, IsaacLabEnvConfig)
}


def make_env_config(backend: str, **kwargs: object) -> EnvConfig:
    try:
        config_cls = ENV_CONFIGS[backend]
    except KeyError:
        known = ", ".join(sorted(ENV_CONFIGS))
        raise ValueError(f"unknown sim backend {backend!r}; choose one of: {known}") from None
    return config_cls(**kwargs)  # type: ignore[arg-type]


def make_env_from_config(config: EnvConfig) -> Env:
    """Build the env for `config`, in this process or, with `hosted`, in an env host process
    of its own (Isaac Lab always: Isaac Sim owns its process's main thread, event-loop policy
    and stage, and cannot build a second env after a failed or closed one)."""
    if config.hosted:
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
    "AnyEnvConfig",
    "CameraSpec",
    "ENV_CONFIGS",
    "Env",
    "EnvConfig",
    "EnvError",
    "Step",
    "build_env_in_this_process",
    "make_env_config",
    "make_env_from_config",
]
