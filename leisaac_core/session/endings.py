"""What an episode's end was: counted, noted in the evaluation, announced, and (a success)
its commit followed. The state machine (episode.py) decides that an episode ends and what
comes next; this says what it was, in one place for every way an episode can end."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from leisaac_core.dataset import SavedEpisode
from leisaac_core.session.commits import CommitWatcher
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.evaluation import Evaluation
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind
from leisaac_core.session.tally import Counts, EpisodeState

log = logging.getLogger("leisaac.session")


class EpisodeEndings:
    def __init__(
        self,
        config: SessionConfig,
        outlet: SessionOutlet,
        commits: CommitWatcher,
        counts: Counts,
        evaluation: Evaluation | None,
    ) -> None:
        self.config = config
        self.outlet = outlet
        self.commits = commits
        self.counts = counts
        self.evaluation = evaluation

    def ended(
        self,
        outcome: str,
        reason: str,
        episode: EpisodeState,
        figures: dict[str, Any],
        future: Future[SavedEpisode] | None,
    ) -> None:
        """A success, failure, timeout or discard (`figures`: the episode's number, timing
        and policy figures, carried by its event)."""
        number, counts = figures["episode_number"], self.counts
        if outcome == "success":
            counts.dataset += 1
            counts.saved += 1
            counts.consecutive_failures = 0
            message = f"episode {number} succeeded ({reason}); saving"
            self.outlet.emit(EventKind.EPISODE_SUCCEEDED, message, **figures)
            if future is not None:
                self.commits.watch(future, number)
        elif outcome == "discarded":
            message = f"episode {number} discarded: {reason}"
            self.outlet.emit(EventKind.EPISODE_DISCARDED, message, **figures)
        else:
            counts.failed += 1
            counts.consecutive_failures += 1
            kind = EventKind.EPISODE_TIMEOUT if outcome == "timeout" else EventKind.EPISODE_FAILURE
            message = f"episode {number} {outcome}: {reason}"
            self.outlet.emit(kind, message, outcome=outcome, **figures)
        if outcome != "discarded":  # after its own event: the running rate follows it
            self._note(outcome, reason, episode, figures, future)

    def errored(
        self,
        message: str,
        episode: EpisodeState,
        figures: dict[str, Any],
        future: Future[SavedEpisode] | None = None,
    ) -> None:
        """The device or the env failed: the episode measured nothing. Counted apart from
        failures, and never in an evaluation's success rate."""
        self.counts.errors += 1
        tail = " (not counted in the success rate)" if self.evaluation is not None else ""
        self.outlet.emit(
            EventKind.EPISODE_ERROR,
            f"episode {figures['episode_number']} error{tail}: {message}",
            outcome="error",
            **figures,
        )
        self._note("error", message, episode, figures, future)

    def _note(
        self,
        outcome: str,
        reason: str,
        episode: EpisodeState,
        figures: dict[str, Any],
        future: Future[SavedEpisode] | None,
    ) -> None:
        if self.evaluation is not None:
            starved = figures.get("starved_ticks")
            self.evaluation.note(episode, outcome, reason, self.config, starved, future)


def error_message(exc: Exception) -> str:
    """What an episode error says (and the log: a traceback only for unexpected kinds)."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, RuntimeError):  # a device's or the env's own words: an event says it
        log.info("episode error: %s", message)
    else:
        log.warning("episode error: %s", message, exc_info=True)
    return message


def unreachable_message(message: str) -> str:
    return (
        f"stopped before evaluating anything, the policy server cannot be reached ({message}); "
        "start it (leisaac-dashboard policy serve ...) and run the evaluation again"
    )
