"""The evaluation a session keeps in `evaluate` mode: one outcome per seed, a running summary
for the page, and the report written next to the dataset when the session closes."""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from leisaac_core.dataset import SavedEpisode
from leisaac_core.policy.evaluation import (
    EpisodeOutcome,
    episode_page,
    format_summary,
    report_path,
    summarize,
    write_report,
)
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind
from leisaac_core.session.tally import EpisodeState

log = logging.getLogger("leisaac.session")


class Evaluation:
    def __init__(self, outlet: SessionOutlet, episodes: int, seed_base: int) -> None:
        self.outlet = outlet
        self.episodes = episodes
        self.seed_base = seed_base
        self.outcomes: list[EpisodeOutcome] = []
        self.saves: list[Future[SavedEpisode] | None] = []  # each outcome's save, in order
        self.summary: dict[str, Any] = {}  # of `outcomes`, for the snapshot

    @property
    def done(self) -> bool:
        return len(self.outcomes) >= self.episodes

    @property
    def next_seed(self) -> int:
        """Episode k runs seed base + k; a re-recorded episode runs its seed again."""
        return self.seed_base + len(self.outcomes)

    def note(
        self,
        episode: EpisodeState,
        outcome: str,
        reason: str,
        config: SessionConfig,
        starved_ticks: int | None,
        saved: Future[SavedEpisode] | None = None,
    ) -> None:
        """Count the episode that just ended (its recorded ticks: warm-up excluded);
        `saved`: its commit, which tells where the report links it."""
        warmup, fps = config.episode.warmup_frames, config.env.fps
        success_s = None
        if outcome == "success" and episode.success_tick is not None:
            success_s = episode.success_tick / fps
        self.add(
            EpisodeOutcome(
                seed=episode.seed,
                outcome=outcome,
                reason=reason,
                ticks=max(0, episode.ticks - warmup),
                time_to_success_s=success_s,
                starved_ticks=starved_ticks,
                intervention_ticks=episode.intervention_ticks,
            ),
            saved,
        )

    def add(self, outcome: EpisodeOutcome, saved: Future[SavedEpisode] | None = None) -> None:
        self.outcomes.append(outcome)
        self.saves.append(saved)
        self.summary = summarize(self.outcomes)
        self.outlet.emit(
            EventKind.EVALUATION_PROGRESS,
            f"evaluation: {format_summary(self.summary)}",
            **self.summary,
        )

    def write_report(self, dataset_root: Path, context: dict[str, Any]) -> str:
        """Write the report; returns the tail of the session's final message."""
        path = report_path(dataset_root)
        context = {**context, "seeds": [o.seed for o in self.outcomes]}
        outcomes = self.linked_outcomes()
        try:
            report = write_report(path, outcomes, context)
        except OSError as exc:
            log.exception("writing the evaluation report failed")
            return f"; the evaluation report could not be written: {exc}"
        self.outlet.emit(
            EventKind.EVALUATION_REPORT,
            f"evaluation report: {path}",
            path=str(path),
            per_seed=report["per_seed"],
            **report["summary"],
        )
        return f"; {format_summary(report['summary'])}; report {path}"

    def linked_outcomes(self) -> list[EpisodeOutcome]:
        """The outcomes with the episode each was saved as (the commits have landed by the
        time the session closes; one that failed or never landed stays unlinked)."""
        linked = []
        for outcome, future in zip(self.outcomes, self.saves, strict=True):
            saved = None
            if future is not None and future.done() and future.exception() is None:
                saved = future.result()
            if saved is not None and saved.saved and saved.episode_index is not None:
                outcome = dataclasses.replace(
                    outcome,
                    repo_id=saved.repo_id,
                    episode_index=saved.episode_index,
                    episode_page=episode_page(saved.repo_id, saved.episode_index),
                )
            linked.append(outcome)
        return linked
