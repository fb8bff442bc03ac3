"""The session engine: one worker thread that owns the env, the teleop device and the
recorder, driven by commands and observed through immutable snapshots and events."""

from leisaac_core.session.commands import CommandRejected
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.engine import SessionEngine
from leisaac_core.session.state import Event, EventKind, Phase, SessionSnapshot

__all__ = [
    "CommandRejected",
    "Event",
    "EventKind",
    "Phase",
    "SessionConfig",
    "SessionEngine",
    "SessionSnapshot",
]
