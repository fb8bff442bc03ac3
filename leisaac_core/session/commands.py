"""Commands that enter the worker thread through its queue."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


class CommandRejected(Exception):
    """The command does not fit the session's current state (the web layer answers 409)."""


@dataclass
class Command:
    name: str  # start | stop | success | failure | rerecord | reset | input | keep | discard
    payload: Any = None
    result: Future[Any] = field(default_factory=Future)
