"""Following the episodes handed to the writer until they are committed.

The writer commits on its own thread; its callbacks only emit events and queue what the
worker thread must act on (a failed commit, an episode to review), which the runner takes
at its next tick. Auto-push is started from here: it follows commits, not episodes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from leisaac_core.dataset import SavedEpisode
from leisaac_core.hub import AutoPush, AutoPushConfig, PushResult, push_dataset
from leisaac_core.hub.errors import HubError
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind

# (token, endpoint) for a push, read when it starts, so a token entered on the page later is
# used; a None token means HF_TOKEN or the login cache.
HubCredentials = Callable[[], tuple[SecretStr | str | None, str | None]]


class SessionAutoPush:
    """Pushes the dataset every N committed episodes, in the background (hub.AutoPush)."""

    def __init__(
        self,
        outlet: SessionOutlet,
        every: int,
        root: Path,
        repo_id: str,
        private: bool,
        credentials: HubCredentials,
        already_pushed_total: int,
    ) -> None:
        self.outlet = outlet
        self.root = root
        self.repo_id = repo_id
        self.private = private
        self.credentials = credentials
        self._auto = AutoPush(
            AutoPushConfig(every),
            push=self._push,
            on_done=self._on_done,
            already_pushed_total=already_pushed_total,
        )

    def committed(self, total: int) -> None:
        """Called on the commit thread with the dataset's episode count."""
        if self._auto.episode_committed(total):
            self.outlet.emit(
                EventKind.PUSH_STARTED, f"auto-push to {self.repo_id}", repo_id=self.repo_id
            )

    def _push(self) -> PushResult:
        """Runs on the auto-push thread: uploads committed episodes only (a snapshot)."""
        token, endpoint = self.credentials()
        return push_dataset(
            self.root, self.repo_id, token=token, private=self.private, endpoint=endpoint
        )

    def _on_done(self, result: PushResult | None, error: HubError | None) -> None:
        if error is not None:
            self.outlet.emit(
                EventKind.PUSH_FAILED,
                f"auto-push failed (retried after the next episode): {error}",
                repo_id=self.repo_id,
            )
        elif result is not None:
            self.outlet.emit(
                EventKind.PUSH_FINISHED,
                f"pushed to {result.url}",
                repo_id=self.repo_id,
                **asdict(result),
            )


class CommitWatcher:
    def __init__(
        self, outlet: SessionOutlet, review: bool, auto_push: SessionAutoPush | None
    ) -> None:
        self.outlet = outlet
        self.review = review
        self.auto_push = auto_push
        # Filled on the commit thread, emptied on the worker thread (deques: thread-safe
        # appends and pops).
        self._errors: deque[str] = deque()
        self._saved_for_review: deque[int] = deque()
        self._watched = 0  # worker thread
        # Commits handled, counted on the commit thread (or the worker's, for a future already
        # done); a count, not the episode numbers: nothing may grow with a long session.
        self._landed = 0
        self._landed_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Commits watched whose outcome is not yet queued here (worker thread)."""
        return self._watched - self._landed

    def watch(self, future: Future[SavedEpisode], number: int) -> None:
        self._watched += 1
        future.add_done_callback(lambda f: self._on_commit(f, number))

    def _on_commit(self, future: Future[SavedEpisode], number: int) -> None:
        """Runs on the writer's commit thread: only emit events and queue things here."""
        try:
            self._handle_commit(future, number)
        finally:  # after the review queue has it: a waiting session ends only then
            with self._landed_lock:
                self._landed += 1

    def _handle_commit(self, future: Future[SavedEpisode], number: int) -> None:
        exc = future.exception()
        if exc is not None:
            self._errors.append(f"episode {number} could not be saved: {exc}")
            return
        saved = future.result()
        committed = (
            saved.episode_index + 1 if saved.saved and saved.episode_index is not None else 0
        )
        if self.review and committed:
            self._saved_for_review.append(committed - 1)
        self.outlet.emit(
            EventKind.EPISODE_SAVED,
            f"episode {number} saved",
            episode_number=number,
            saved=asdict(saved),
        )
        if self.auto_push is not None and committed:
            self.auto_push.committed(committed)

    def take_errors(self) -> list[str]:
        return _drain(self._errors)

    def take_saved_for_review(self) -> list[int]:
        return _drain(self._saved_for_review)


def _drain(items: deque[Any]) -> list[Any]:
    taken = []
    while items:
        taken.append(items.popleft())
    return taken
