"""Policies in the loop: the `policy` device (OpenPI websocket client) and the servers we ship.

Nothing here imports torch: the lerobot policy server (`lerobot_server`) runs in the user's
lerobot environment and imports lerobot only there.

Importing this package registers the policy device with the teleop registry, so
`make_device_config("policy", ...)` works from here up; teleop itself never imports policy.
"""

from __future__ import annotations

from leisaac_core.policy.config import (
    PolicyCheckpointConfig,
    PolicyConfig,
    PolicyDeviceConfig,
    PolicyServerConfig,
)
from leisaac_core.policy.errors import PolicyUnreachable
from leisaac_core.teleop import Device, DeviceConfig, make_device_from_config, register_device


def make_policy_device(config: DeviceConfig) -> Device:
    """The policy device, with the human device it hands over to (if any)."""
    from leisaac_core.policy.device import PolicyDevice

    if not isinstance(config, PolicyDeviceConfig):
        raise TypeError(
            f"the policy device needs a PolicyDeviceConfig, got {type(config).__name__}"
        )
    human = None if config.takeover is None else make_device_from_config(config.takeover)
    return PolicyDevice(config, human=human)


register_device(PolicyDeviceConfig, make_policy_device)

__all__ = [
    "PolicyCheckpointConfig",
    "PolicyConfig",
    "PolicyDeviceConfig",
    "PolicyServerConfig",
    "PolicyUnreachable",
    "make_policy_device",
]
