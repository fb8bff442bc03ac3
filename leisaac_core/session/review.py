"""Review mode: saved episodes wait for the operator's keep or discard.

Episodes are committed before review, so only an explicit discard removes one: an episode
left unreviewed (page closed, session over) stays kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from leisaac_core.dataset import DatasetWriter
from leisaac_core.session.commands import CommandRejected
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind


class ReviewQueue:
    def __init__(self, outlet: SessionOutlet, writer: DatasetWriter) -> None:
        self.outlet = outlet
        self.writer = writer
        self.pending: list[int] = []  # dataset indices awaiting a decision

    def add(self, indices: Iterable[int]) -> None:
        self.pending.extend(indices)

    def decide(self, decision: str, index: object) -> bool:
        """Keep or discard episode `index`; True when it was discarded."""
        if index not in self.pending:
            raise CommandRejected(
                f"episode {index} is not awaiting review; awaiting: {self.pending or 'none'}"
            )
        assert isinstance(index, int)
        self.pending.remove(index)
        if decision == "keep":
            self.outlet.emit(EventKind.EPISODE_KEPT, f"episode {index} kept", episode_index=index)
            return False
        # Deleting runs on the writer's own thread, after any commit already queued there;
        # later episodes move down one index.
        self.writer.delete_episodes([index])
        self.pending = [i - 1 if i > index else i for i in self.pending]
        self.outlet.emit(
            EventKind.EPISODE_DISCARDED_AFTER_REVIEW,
            f"episode {index} discarded after review; one more will be recorded",
            episode_index=index,
        )
        return True
