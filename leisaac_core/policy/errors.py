"""How the policy device fails, for the session to tell apart."""

from __future__ import annotations

from leisaac_core.teleop.base import DeviceError


class PolicyUnreachable(DeviceError):
    """The policy server could not be reached, and never was since the device connected:
    a server that is not running (or a wrong URL), not one that failed mid-run. An
    evaluation stops at once instead of trying every seed against it."""
