"""Teleoperation devices behind one `Device` protocol, created by name.

Device modules are imported lazily so that, say, the scripted demonstrator never imports
the serial stack. Rooms above teleop add their own device families with `register_device`
(the policy device registers itself when `leisaac_core.policy` is imported), so this
registry never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from pydantic import Field

from leisaac_core.teleop.base import Device, DeviceError, DeviceHealth
from leisaac_core.teleop.browser.config import GamepadDeviceConfig, KeyboardDeviceConfig
from leisaac_core.teleop.config import DeviceConfig, device_type
from leisaac_core.teleop.remote_leader.config import RemoteLeaderConfig
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig

DeviceFactory = Callable[[DeviceConfig], Device]

# The devices a session lists in `devices`, told apart by `type`. A new family adds its
# config here (and its factory below).
AnyDeviceConfig = Annotated[
    ScriptedDeviceConfig
    | SO101LeaderConfig
    | RemoteLeaderConfig
    | KeyboardDeviceConfig
    | GamepadDeviceConfig,
    Field(discriminator="type"),
]
# Devices a person drives (the ones that may take over from a policy).
HUMAN_DEVICES = frozenset(
    device_type(cls)
    for cls in (SO101LeaderConfig, RemoteLeaderConfig, KeyboardDeviceConfig, GamepadDeviceConfig)
)

DEVICE_CONFIGS: dict[str, type[DeviceConfig]] = {
    device_type(cfg): cfg
    for cfg in (
        ScriptedDeviceConfig,
        SO101LeaderConfig,
        RemoteLeaderConfig,
        KeyboardDeviceConfig,
        GamepadDeviceConfig,
    )
}
# Factories of the families registered from above (config class -> factory).
_REGISTERED: dict[type[DeviceConfig], DeviceFactory] = {}


def register_device(config_cls: type[DeviceConfig], factory: DeviceFactory) -> None:
    """Add a device family: `make_device_config(type)` and `make_device_from_config` then
    know it. Registering the same class again replaces it."""
    name = device_type(config_cls)
    known = DEVICE_CONFIGS.get(name)
    if known is not None and known is not config_cls:
        raise ValueError(f"device type {name!r} is taken by {known.__name__}")
    DEVICE_CONFIGS[name] = config_cls
    _REGISTERED[config_cls] = factory


def make_device_config(name: str, **kwargs: object) -> DeviceConfig:
    try:
        config_cls = DEVICE_CONFIGS[name]
    except KeyError:
        known = ", ".join(sorted(DEVICE_CONFIGS))
        raise ValueError(f"unknown teleop device {name!r}; choose one of: {known}") from None
    return config_cls(**kwargs)  # type: ignore[arg-type]


def make_device_from_config(config: DeviceConfig) -> Device:
    if isinstance(config, ScriptedDeviceConfig):
        from leisaac_core.teleop.scripted.scripted import ScriptedDevice

        return ScriptedDevice(config)
    if isinstance(config, SO101LeaderConfig):
        from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader

        return SO101Leader(config)
    if isinstance(config, RemoteLeaderConfig):
        from leisaac_core.teleop.remote_leader.remote_leader import RemoteLeader

        return RemoteLeader(config)
    if isinstance(config, (KeyboardDeviceConfig, GamepadDeviceConfig)):
        from leisaac_core.teleop.browser.browser import BrowserDevice

        return BrowserDevice(config)
    factory = _REGISTERED.get(type(config))
    if factory is not None:
        return factory(config)
    raise ValueError(f"no device for config {type(config).__name__}")


def make_device_from_configs(configs: Sequence[DeviceConfig]) -> Device:
    """The one device a session's `devices` list drives with: its only entry, or the leader
    arm(s), one entry per arm (`arm: left|right`), read together as one device that pauses
    the episode instead of failing it when an arm drops out."""
    if configs and all(isinstance(c, SO101LeaderConfig) for c in configs):
        from leisaac_core.teleop.so101_leader.arms import LeaderArms

        return LeaderArms(configs)  # type: ignore[arg-type]
    if len(configs) == 1:
        return make_device_from_config(configs[0])
    types = ", ".join(c.type for c in configs) or "none"
    raise ValueError(f"one device drives the arms, or one so101_leader per arm; got {types}")


__all__ = [
    "AnyDeviceConfig",
    "DEVICE_CONFIGS",
    "HUMAN_DEVICES",
    "Device",
    "DeviceConfig",
    "DeviceError",
    "DeviceFactory",
    "DeviceHealth",
    "make_device_config",
    "make_device_from_config",
    "make_device_from_configs",
    "register_device",
]
