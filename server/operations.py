"""Long operations started from the page or a script (replaying an episode, merging
datasets, packing a dataset's files): each runs on a worker thread of the web layer and tells
how far it has got.

Every page hears it over the websocket as `{"type": "operation", ...}` messages, sent in
order through each client's event queue: one when it starts, one each time its whole
percentage changes (so at most about a hundred, whatever the size), and one when it
finishes or fails, queued before the route that ran it answers. Scripts read the same at
GET /api/operations. The operations are not session events: they are not kept in the
event history.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal, TypeVar

from fastapi.concurrency import run_in_threadpool

from leisaac_core.dataset import Progress
from server.stream import StreamHub

T = TypeVar("T")

OperationKind = Literal["replay", "merge", "compaction"]
OperationState = Literal["running", "finished", "failed"]
FINISHED_KEPT = 20


@dataclass
class Operation:
    id: int
    kind: OperationKind
    subject: str  # what it works on: "ns/name#3" (replay), the merge's target, the dataset
    title: str  # in words: "Replaying episode 3 of ns/name"
    step: str = "starting"
    done: int = 0
    total: int = 0
    unit: str = ""
    state: OperationState = "running"
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None

    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class Operations:
    """The operations under way and the last few finished ones (app.state.operations)."""

    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._running: dict[int, Operation] = {}
        self._finished: deque[Operation] = deque(maxlen=FINISHED_KEPT)

    def start(self, kind: OperationKind, subject: str, title: str) -> Operation:
        op = Operation(next(self._ids), kind, subject, title)
        with self._lock:
            self._running[op.id] = op
        self._publish(op)
        return op

    async def run(
        self,
        kind: OperationKind,
        subject: str,
        title: str,
        work: Callable[[Callable[[Progress], None]], T],
    ) -> T:
        """Run `work(progress)` on a worker thread as one operation: its progress and its end
        are published; a failure is published with its message and raised again."""
        op = self.start(kind, subject, title)
        try:
            result = await run_in_threadpool(work, self.reporter(op))
        except Exception as exc:
            self.finish(op, error=str(exc) or type(exc).__name__)
            raise
        self.finish(op)
        return result

    def reporter(self, op: Operation) -> Callable[[Progress], None]:
        """A progress listener for the operation's worker thread: publishes a change of step
        or of whole percentage."""

        def report(p: Progress) -> None:
            shown = (op.step, op.percent())
            op.step, op.done, op.total, op.unit = p.step, p.done, p.total, p.unit
            if (op.step, op.percent()) != shown:
                self._publish(op)

        return report

    def finish(self, op: Operation, error: str | None = None) -> None:
        """Call on the event loop, before the route answers: the last message is then queued
        for every page ahead of the answer."""
        op.state = "failed" if error else "finished"
        op.error = error
        op.ended_at = time.time()
        if not error:
            op.done = op.total
        with self._lock:
            self._running.pop(op.id, None)
            self._finished.append(op)
        self._publish(op)

    def listing(self) -> list[Operation]:
        with self._lock:
            return [*self._running.values(), *reversed(self._finished)]

    def _publish(self, op: Operation) -> None:
        self.hub.message_from_any_thread(json.dumps({"type": "operation", **asdict(op)}))
