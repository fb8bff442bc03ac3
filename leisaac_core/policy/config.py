"""Config of the policy device (actions from a policy server over the OpenPI protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from leisaac_core.teleop.config import DeviceConfig


@dataclass
class PolicyDeviceConfig(DeviceConfig):
    type: ClassVar[str] = "policy"
    url: str = "ws://127.0.0.1:8765"
    connect_timeout_s: float = 5.0
    # A reply slower than this fails the episode ("server too slow").
    request_timeout_s: float = 10.0
    # Ask for the next chunk when this many actions are left in the queue.
    prefetch_ticks: int = 5
    # Wait for each chunk instead of holding the arm: for runs not paced at the fps (sim time
    # is virtual there), which makes them reproducible.
    lockstep: bool = False
    # Device a human takes over with while the policy drives (keyboard, gamepad,
    # so101_leader), or None. The leader arm needs its port (and calibration file).
    takeover: str | None = "keyboard"
    takeover_port: str | None = None
    takeover_calibration: Path | None = None
    # Renames of observation keys for servers that expect their own (an OpenPI pi0 config
    # may want "observation/image" and "prompt"): ours -> theirs. Ours: observation.state,
    # observation.images.<camera>, task, episode_start.
    observation_keys: dict[str, str] = field(default_factory=dict)
    # Robot identity of the joint values the server sees and sends (see
    # leisaac_core.dataset.identity): a policy runs on the identity it was trained on, so a
    # session passes its dataset's. "leisaac" is the env's own normalized units.
    identity: str = "leisaac"

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise ValueError(f"policy url {self.url!r} must start with ws:// or wss://")
        if self.prefetch_ticks < 0:
            raise ValueError(f"prefetch_ticks must be >= 0, got {self.prefetch_ticks}")
        if self.connect_timeout_s <= 0 or self.request_timeout_s <= 0:
            raise ValueError("policy timeouts must be positive")
        if self.takeover not in (None, "keyboard", "gamepad", "so101_leader"):
            raise ValueError(
                f"takeover device {self.takeover!r}: use keyboard, gamepad, so101_leader or none"
            )
        from leisaac_core.dataset.identity import get_identity

        get_identity(self.identity)  # ValueError naming the identities
        if self.takeover == "so101_leader" and not self.takeover_port:
            raise ValueError("takeover with so101_leader needs its port, e.g. /dev/ttyACM0")
