"""Disjoint seeds for the workers: each seed is handed out once, and comes back only when
the episode recording it was lost (its worker died), so no seed is recorded twice and none
is skipped."""

from __future__ import annotations

import heapq
from collections.abc import Iterable


class SeedLedger:
    def __init__(self, first: int = 0, done: Iterable[int] = ()) -> None:
        self._next = first
        self._returned: list[int] = []  # lost seeds, handed out again first (lowest first)
        self._done = set(done)  # already in the dataset (resume): never handed out
        self.out: set[int] = set()  # handed out, result not yet known
        self.saved: list[int] = []
        self.failed: dict[int, str] = {}

    def take(self) -> int:
        if self._returned:
            seed = heapq.heappop(self._returned)
        else:
            while self._next in self._done:
                self._next += 1
            seed = self._next
            self._next += 1
        self.out.add(seed)
        return seed

    def give_back(self, seed: int) -> None:
        """The episode of `seed` was lost: hand the seed out again."""
        self.out.discard(seed)
        heapq.heappush(self._returned, seed)

    def mark_saved(self, seed: int) -> None:
        self.out.discard(seed)
        self.saved.append(seed)

    def mark_failed(self, seed: int, reason: str) -> None:
        """The episode ran and failed (timeout...): the seed was tried, not skipped."""
        self.out.discard(seed)
        self.failed[seed] = reason
