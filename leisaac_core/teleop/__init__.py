"""Teleoperation devices behind one `Device` protocol, created by name.

Device modules are imported lazily so that, say, the scripted demonstrator never imports
the serial stack. Rooms above teleop add their own device families with `register_device`
(the policy device registers itself when `leisaac_core.policy` is imported), so this
registry never imports them.
"""

from __future__ import annotations

from collections.abc import Callable

from leisaac_core.teleop.base import Device, DeviceError, DeviceHealth
from leisaac_core.teleop.browser.config import GamepadDeviceConfig, KeyboardDeviceConfig
from leisaac_core.teleop.config import DeviceConfig
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig

DeviceFactory = Callable[[DeviceConfig], Device]

DEVICE_CONFIGS: dict[str, type[DeviceConfig]] = {
    cfg.type: cfg
    for cfg in (
        ScriptedDeviceConfig,
        SO101LeaderConfig,
        KeyboardDeviceConfig,
        GamepadDeviceConfig,
    )
}
# Factories of the families registered from above (config class -> factory).
_REGISTERED: dict[type[DeviceConfig], DeviceFactory] = {}


def register_device(config_cls: type[DeviceConfig], factory: DeviceFactory) -> None:
    """Add a device family: `make_device_config(config_cls.type)` and
    `make_device_from_config` then know it. Registering the same class again replaces it."""
    known = DEVICE_CONFIGS.get(config_cls.type)
    if known is not None and known is not config_cls:
        raise ValueError(f"device type {config_cls.type!r} is taken by {known.__name__}")
    DEVICE_CONFIGS[config_cls.type] = config_cls
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
    if isinstance(config, (KeyboardDeviceConfig, GamepadDeviceConfig)):
        from leisaac_core.teleop.browser.browser import BrowserDevice

        return BrowserDevice(config)
    factory = _REGISTERED.get(type(config))
    if factory is not None:
        return factory(config)
    raise ValueError(f"no device for config {type(config).__name__}")


__all__ = [
    "DEVICE_CONFIGS",
    "Device",
    "DeviceConfig",
    "DeviceError",
    "DeviceFactory",
    "DeviceHealth",
    "make_device_config",
    "make_device_from_config",
    "register_device",
]
