"""What a running session reports to. The engine implements it and hands itself to the
runner, so the runner and its parts never import the engine that creates them."""

from __future__ import annotations

from typing import Any, Protocol

from leisaac_core.session.state import Event, EventKind, FrameSet, SessionSnapshot


class SessionOutlet(Protocol):
    def emit(self, kind: EventKind, message: str, **data: Any) -> Event:
        """Log and broadcast one event (callable from the worker and the commit thread)."""
        ...

    def publish(self, snapshot: SessionSnapshot) -> None:
        """Replace the visible state (latest wins)."""
        ...

    def publish_frames(self, frames: FrameSet) -> None:
        """Replace the newest camera frames (latest wins)."""
        ...
