"""The episode machine of a fed session (a fleet worker's, session/feed.py): its seeds come
from the feed one at a time and each episode's end goes back to it. The feeder decides how
many episodes and how many failures are enough, so the session runs until the feed closes,
and an error ends only its seed (the next one begins after the reset period).
"""

from __future__ import annotations

from typing import Any

from leisaac_core.policy import PolicyUnreachable
from leisaac_core.session.endings import error_message
from leisaac_core.session.episode import EpisodeMachine
from leisaac_core.session.feed import SeedEnding, SeedFeed
from leisaac_core.session.state import EPISODE_PHASES, Phase


class FedEpisodeMachine(EpisodeMachine):
    def __init__(self, *args: Any, feed: SeedFeed, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.feed = feed

    def next_seed(self) -> int | None:
        seed = self.feed.take()
        if seed is None:  # none yet: wait (the runner asks again next tick), or done
            self.phase, self.reset_deadline = Phase.RESETTING, 0.0
            if self.feed.closed:
                self.finished = True
                self.final_message = self.final_message or "the seed feed was closed"
        return seed

    def end(self, outcome: str, reason: str) -> None:
        future = self.recorder.end(outcome, self._meta(outcome))
        self.endings.ended(outcome, reason, self.episode, self._figures(), future)
        self.feed.ended(SeedEnding(self._seed(), outcome, reason))
        self.start_reset_period()

    def fail(self, exc: Exception, episode_in_progress: bool = True) -> None:
        message = error_message(exc)
        if episode_in_progress and self.phase in EPISODE_PHASES:
            self.recorder.end("discarded", self._meta("error"))
            self.endings.errored(message, self.episode, self._figures())
        unreachable = isinstance(exc, PolicyUnreachable)
        self.feed.ended(SeedEnding(self._seed(), "error", message, unreachable))
        self.start_reset_period()

    def episodes_done(self) -> bool:
        return False  # a fed session runs until its feed is closed

    def _seed(self) -> int:
        return -1 if self.episode.seed is None else self.episode.seed
