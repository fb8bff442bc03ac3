"""Teleoperation devices behind one `Device` protocol, created by name.

Device modules are imported lazily so that, say, the scripted demonstrator never imports
the serial stack.
"""

from __future__ import annotations

from leisaac_core.policy.config import PolicyDeviceConfig
from leisaac_core.teleop.base import Device, DeviceError, DeviceHealth
from leisaac_core.teleop.browser.config import GamepadDeviceConfig, KeyboardDeviceConfig
from leisaac_core.teleop.config import DeviceConfig
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig

DEVICE_CONFIGS: dict[str, type[DeviceConfig]] = {
    cfg.type: cfg
    for cfg in (
        ScriptedDeviceConfig,
        SO101LeaderConfig,
        KeyboardDeviceConfig,
        GamepadDeviceConfig,
        PolicyDeviceConfig,
    )
}


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
    if isinstance(config, PolicyDeviceConfig):
        from leisaac_core.policy.device import PolicyDevice

        human = None
        if config.takeover == "so101_leader":
            human = make_device_from_config(
                SO101LeaderConfig(
                    port=config.takeover_port or "",
                    calibration_path=config.takeover_calibration,
                )
            )
        elif config.takeover is not None:
            human = make_device_from_config(make_device_config(config.takeover))
        return PolicyDevice(config, human=human)
    raise ValueError(f"no device for config {type(config).__name__}")


__all__ = [
    "DEVICE_CONFIGS",
    "Device",
    "DeviceConfig",
    "DeviceError",
    "DeviceHealth",
    "make_device_config",
    "make_device_from_config",
]
