"""A fed session: seeds come one at a time from another thread instead of a fixed count.

A fleet worker keeps one session (env, renderer, encoders, writer) alive across seeds: it
puts each seed it is given into the session's `SeedFeed`, the episode machine takes the next
one when it begins an episode (waiting briefly between polls, so commands still answer), and
every episode's end comes back through `on_ended`. A saved episode is not committed into the
session's scratch dataset: the writer hands it to `on_delivered` (see
`DatasetWriter.open(deliver=...)`). Closing the feed ends the session once the seeds already
in it are recorded.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass

from leisaac_core.dataset import DeliveredEpisode

# How long the machine waits for a seed per tick before it looks at its commands again.
_POLL_S = 0.05
_CLOSED = -1


@dataclass(frozen=True)
class SeedEnding:
    """How the episode of `seed` ended: success (its episode is delivered next), failure,
    timeout, discarded or error. `unreachable`: the policy server was never reached, so no
    seed can be recorded by this session."""

    seed: int
    outcome: str
    reason: str
    unreachable: bool = False


class SeedFeed:
    def __init__(
        self,
        on_ended: Callable[[SeedEnding], None] = lambda ending: None,
        on_delivered: Callable[[DeliveredEpisode], None] = lambda episode: None,
    ) -> None:
        self.on_ended = on_ended
        self.on_delivered = on_delivered
        self._seeds: queue.Queue[int] = queue.Queue()
        self.closed = False

    # ---- the feeding side (any thread) ---------------------------------------------------
    def put(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed {seed} is negative")
        self._seeds.put(seed)

    def close(self) -> None:
        """No more seeds: the session ends after those already put."""
        self._seeds.put(_CLOSED)

    # ---- the session's side (its worker thread) ------------------------------------------
    def take(self, timeout: float = _POLL_S) -> int | None:
        """The next seed, or None when none came in `timeout` (or the feed is closed)."""
        if self.closed:
            return None
        try:
            seed = self._seeds.get(timeout=timeout)
        except queue.Empty:
            return None
        if seed == _CLOSED:
            self.closed = True
            return None
        return seed

    def ended(self, ending: SeedEnding) -> None:
        self.on_ended(ending)

    def deliver(self, episode: DeliveredEpisode) -> None:
        """Called on the writer's commit thread with each saved episode."""
        self.on_delivered(episode)
