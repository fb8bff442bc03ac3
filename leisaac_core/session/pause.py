"""Pausing an episode while its device has no live input (a remote leader's relay went
quiet): the arm holds, nothing is recorded, and an event says so at each change."""

from __future__ import annotations

from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind
from leisaac_core.teleop import Device


class PauseWatch:
    def __init__(self, outlet: SessionOutlet) -> None:
        self.outlet = outlet
        self.reason = ""  # non-empty while paused
        self.pauses = 0  # in the episode under way

    def restart(self) -> None:
        """A new episode: a pause that goes on carries over, its count starts afresh."""
        self.pauses = 1 if self.reason else 0

    def holds(self, device: Device, episode_number: int) -> bool:
        """Whether the device holds the arm at this tick (its input went stale)."""
        timing = device.input_timing
        quiet_ms = timing.quiet_ms() if timing is not None else None
        return self.update(device.hold_reason, episode_number, quiet_ms)

    def update(self, reason: str, episode_number: int, quiet_ms: float | None) -> bool:
        """The device's hold reason at this tick and how long its input has been quiet;
        returns whether the episode is paused."""
        if reason and not self.reason:
            self.pauses += 1
            self.outlet.emit(
                EventKind.EPISODE_PAUSED,
                f"episode {episode_number} paused: {reason}",
                episode_number=episode_number,
                reason=reason,
                quiet_ms=quiet_ms,
            )
        elif self.reason and not reason:
            self.outlet.emit(
                EventKind.EPISODE_RESUMED,
                f"episode {episode_number} resumed: input is live again",
                episode_number=episode_number,
            )
        self.reason = reason
        return bool(reason)
