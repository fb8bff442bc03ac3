"""Policies in the loop: the `policy` device (OpenPI websocket client) and the servers we ship.

Nothing here imports torch: the lerobot policy server (`lerobot_server`) runs in the user's
lerobot environment and imports lerobot only there.
"""

# The teleop registry lists the policy device's config, which subclasses teleop's
# DeviceConfig: load the registry first, so importing `leisaac_core.policy.config` on its
# own does not meet a half-initialised teleop package.
import leisaac_core.teleop  # noqa: E402, F401
