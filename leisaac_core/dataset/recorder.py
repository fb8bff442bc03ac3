"""LeIsaac's recorder semantics on top of a DatasetWriter.

After each reset the first `warmup_frames` steps are not recorded (the sim settles); a
success saves the episode; a failure or timeout discards it, or, when a failures writer is
given, saves it there labelled, in a separate dataset so training never picks it up (an
episode ended by an error too, labelled `error`).
An episode that ends inside its warm-up has no frames and is simply not saved.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from leisaac_core.dataset.writer import DatasetWriter, EpisodeMeta, Outcome, SavedEpisode


class EpisodeRecorder:
    def __init__(
        self,
        writer: DatasetWriter,
        warmup_frames: int = 5,
        failures: DatasetWriter | None = None,
        to_dataset: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        """`to_dataset` maps state and action from env units to the dataset's (its robot
        identity, see leisaac_core.dataset.identity); None stores them as given."""
        if warmup_frames < 0:
            raise ValueError(f"warmup_frames {warmup_frames} must be >= 0")
        self.writer = writer
        self.failures = failures
        self.warmup_frames = warmup_frames
        self.to_dataset = to_dataset
        self._steps = 0
        self._active = False

    @property
    def active(self) -> bool:
        return self._active

    @property
    def in_warmup(self) -> bool:
        return self._active and self._steps < self.warmup_frames

    @property
    def steps(self) -> int:
        """Steps seen since begin(), warm-up included."""
        return self._steps

    def begin(self, task: str) -> int:
        """Start an episode right after env.reset(); returns its prospective index."""
        if self._active:
            self.writer.discard_episode()
        self._steps = 0
        index = self.writer.start_episode(task)
        self._active = True
        return index

    def step(
        self,
        state: np.ndarray,
        action: np.ndarray,
        images: Mapping[str, np.ndarray],
        extras: Mapping[str, float | bool] | None = None,
        wait_s: float | None = None,
    ) -> bool:
        """Record one step unless inactive or in warm-up; returns whether it was recorded.
        `wait_s`: see DatasetWriter.add_frame (None: wait for the encoders, never drop)."""
        if not self._active:
            return False
        self._steps += 1
        if self._steps <= self.warmup_frames:
            return False
        if self.to_dataset is not None:
            state, action = self.to_dataset(state), self.to_dataset(action)
        self.writer.add_frame(state, action, images, extras, wait_s)
        return True

    def end(
        self, outcome: Outcome, meta: EpisodeMeta | None = None
    ) -> concurrent.futures.Future[SavedEpisode] | None:
        """Finish the episode; returns the save's future, or None when it was discarded."""
        if not self._active:
            return None
        self._active = False
        meta = dataclasses.replace(meta or EpisodeMeta(), outcome=outcome)
        if outcome == "success":
            return self.writer.save_episode(meta)
        if outcome in ("failure", "timeout", "error") and self.failures is not None:
            return self.writer.save_episode(meta, target=self.failures)
        self.writer.discard_episode()
        return None

    def abort(self) -> None:
        """Drop the episode in progress (re-record, stop)."""
        if self._active:
            self._active = False
            self.writer.discard_episode()
