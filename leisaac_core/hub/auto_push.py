"""Push automatically every N committed episodes during a session.

The session calls `AutoPush.episode_committed(total)` after each commit; a due push runs in a
background thread, one at a time, so recording never waits for the network. A failed push is
retried at the next committed episode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from leisaac_core.hub.errors import HubError
from leisaac_core.hub.push import PushResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutoPushConfig:
    every_n_episodes: int

    def __post_init__(self) -> None:
        if self.every_n_episodes < 1:
            raise ValueError(
                f"every_n_episodes must be at least 1 (got {self.every_n_episodes}); "
                "leave auto-push off instead of setting 0"
            )


def push_is_due(total_episodes: int, last_pushed_total: int, every_n_episodes: int) -> bool:
    """True once `every_n_episodes` more episodes were committed since the last push."""
    return total_episodes - last_pushed_total >= every_n_episodes


class AutoPush:
    """Runs `push()` in a background thread whenever enough new episodes were committed.

    `push` is a closure the session builds (dataset dir, repo id, token...), so this class
    never holds the token itself. `on_done(result, error)` is called from the push thread.
    """

    def __init__(
        self,
        config: AutoPushConfig,
        push: Callable[[], PushResult],
        on_done: Callable[[PushResult | None, HubError | None], None] | None = None,
        *,
        already_pushed_total: int = 0,
    ) -> None:
        self.config = config
        self._push = push
        self._on_done = on_done
        self._lock = threading.Lock()
        self._last_pushed_total = already_pushed_total
        self._thread: threading.Thread | None = None
        self.last_result: PushResult | None = None
        self.last_error: HubError | None = None

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def episode_committed(self, total_episodes: int) -> bool:
        """Start a push if one is due and none is running; return whether one started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            if not push_is_due(
                total_episodes, self._last_pushed_total, self.config.every_n_episodes
            ):
                return False
            previous = self._last_pushed_total
            self._last_pushed_total = total_episodes
            self._thread = threading.Thread(
                target=self._run, args=(previous,), name="hub-auto-push", daemon=True
            )
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a running push; True when none is running afterwards."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self, previous_total: int) -> None:
        result: PushResult | None = None
        error: HubError | None = None
        try:
            result = self._push()
        except HubError as exc:
            error = exc
        except Exception as exc:  # keep the session alive whatever the push did
            error = HubError(f"Automatic push failed: {type(exc).__name__}")
            logger.exception("automatic push failed")
        with self._lock:
            self.last_result, self.last_error = result, error
            if error is not None:
                # Not pushed after all: due again at the next committed episode.
                self._last_pushed_total = previous_total
        if error is not None:
            logger.warning("automatic push failed: %s", error)
        else:
            logger.info("automatic push done: %s", result)
        if self._on_done is not None:
            try:
                self._on_done(result, error)
            except Exception:
                logger.exception("auto-push on_done callback failed")
