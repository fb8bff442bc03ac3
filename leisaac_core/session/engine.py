"""The worker thread and its mailbox.

`SessionEngine` is created once per process. Its thread is the only one that touches the env,
the device and the recorder (they live inside `EpisodeRunner`). Other threads talk to it
through `submit()` (a command queue answered with futures) and watch it through `snapshot`,
`latest_frames` (plain attribute reads of immutable objects: latest wins, no locks shared
with the loop) and event listeners.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from leisaac_core.session.commands import Command, CommandRejected
from leisaac_core.session.commits import HubCredentials
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.event_log import EventLog, event_log_dir
from leisaac_core.session.feed import SeedFeed
from leisaac_core.session.runner import EpisodeRunner
from leisaac_core.session.state import Event, EventKind, FrameSet, Phase, SessionSnapshot
from leisaac_core.sim.base import EnvError
from leisaac_core.teleop.base import DeviceError

log = logging.getLogger("leisaac.session")

EventListener = Callable[[Event], None]
# Failures with a message for the operator, not a bug: reported without a traceback.
EXPECTED_ERRORS = (DeviceError, EnvError, OSError, ValueError)
COMMANDS = ("start", "stop", "success", "failure", "rerecord", "reset", "input", "keep", "discard")


class SessionEngine:
    def __init__(
        self,
        dataset_root: Path,
        event_log: EventLog | None = None,
        hub_credentials: HubCredentials = lambda: (None, None),
        feed: SeedFeed | None = None,
    ) -> None:
        self.dataset_root = Path(dataset_root)
        # A fed engine's sessions take their seeds from `feed` and deliver their episodes to
        # it (session/feed.py): env, renderer and encoders stay alive across seeds.
        self.feed = feed
        # (token, endpoint) for auto-push, read when a push starts; None token = HF_TOKEN or
        # the login cache. A callable so a token entered on the page later is used.
        self.hub_credentials = hub_credentials
        self._commands: queue.Queue[Command | None] = queue.Queue()
        self._listeners: list[EventListener] = []
        # The recent events in memory, all of them on disk (beside the datasets).
        self.event_log = event_log or EventLog.in_folder(event_log_dir(self.dataset_root))
        self._event_lock = threading.Lock()  # events may come from the commit thread too
        self._seq = 0
        self._thread: threading.Thread | None = None
        self._runner: EpisodeRunner | None = None
        self.snapshot = SessionSnapshot(phase=Phase.IDLE, tick=0)
        self.latest_frames: FrameSet | None = None

    # ---- lifecycle (any thread) -------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="session-worker", daemon=True)
        self._thread.start()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the session (discarding an episode in progress, finishing commits) and the thread."""
        if self._thread is None:
            return
        self._commands.put(None)
        self._thread.join(timeout)
        self._thread = None

    # ---- commands and observation (any thread) -----------------------------------------
    def submit(self, name: str, payload: Any = None) -> Future[Any]:
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
        if name == "start" and not isinstance(payload, SessionConfig):
            raise TypeError("start needs a SessionConfig")
        command = Command(name, payload)
        if self._thread is None:
            command.result.set_exception(CommandRejected("the session engine is not running"))
        else:
            self._commands.put(command)
        return command.result

    def add_listener(self, listener: EventListener) -> None:
        with self._event_lock:
            self._listeners = [*self._listeners, listener]

    def remove_listener(self, listener: EventListener) -> None:
        with self._event_lock:
            self._listeners = [cb for cb in self._listeners if cb is not listener]

    def events_since(self, seq: int = 0) -> list[Event]:
        """Recent events after `seq`; older ones: `event_log.page`."""
        return self.event_log.since(seq)

    # ---- the runner's SessionOutlet: called on the worker thread (emit also from others) --
    def emit(self, kind: EventKind, message: str, **data: Any) -> Event:
        with self._event_lock:
            self._seq += 1
            event = Event(self._seq, kind, message, data=data)
            self.event_log.append(event)
            listeners = self._listeners
        log.info("%s: %s", kind, message)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must never stop the loop
                log.exception("event listener failed")
        return event

    def publish(self, snapshot: SessionSnapshot) -> None:
        self.snapshot = snapshot

    def publish_frames(self, frames: FrameSet) -> None:
        self.latest_frames = frames

    # ---- the worker thread ---------------------------------------------------------------
    def _run(self) -> None:
        while True:
            runner = self._runner
            try:
                if runner is None:
                    command = self._commands.get(timeout=0.25)
                    if command is None:
                        return
                    self._handle(command)
                    continue
                while True:
                    try:
                        command = self._commands.get_nowait()
                    except queue.Empty:
                        break
                    if command is None:
                        self._close_runner(reason="the server is shutting down")
                        return
                    self._handle(command)
                    if self._runner is None:
                        break
                if self._runner is not None:
                    self._runner.tick()
                    if self._runner.finished:
                        self._close_runner(reason=None)
            except queue.Empty:
                continue
            except Exception as exc:  # last line of defence: never die silently
                log.exception("session worker error")
                self.emit(EventKind.SESSION_ERROR, f"internal error: {exc}")
                if self._runner is not None:
                    self._runner.enter_error(f"internal error: {exc}")

    def _handle(self, command: Command) -> None:
        try:
            result = self._dispatch(command)
        except CommandRejected as exc:
            command.result.set_exception(exc)
        except EXPECTED_ERRORS as exc:  # a missing device, an existing dataset: no traceback
            # The caller is told (the CLI prints it, the REST route answers it): a log line
            # at the CLI's WARNING level would say it twice.
            log.info("command %s failed: %s", command.name, exc)
            command.result.set_exception(_rejected(command.name, exc))
        except Exception as exc:
            log.exception("command %s failed", command.name)
            command.result.set_exception(_rejected(command.name, exc))
        else:
            command.result.set_result(result)

    def _dispatch(self, command: Command) -> Any:
        runner = self._runner
        if command.name == "start":
            if runner is not None:
                raise CommandRejected(
                    f"a session is already running (phase {runner.phase}); stop it first"
                )
            self.publish(SessionSnapshot(phase=Phase.STARTING, tick=0))
            try:
                self._runner = EpisodeRunner.build(
                    command.payload, self, self.dataset_root, self.hub_credentials, self.feed
                )
            except Exception:
                self.publish(SessionSnapshot(phase=Phase.IDLE, tick=0))
                raise
            self._runner.publish_snapshot()
            return self.snapshot
        if runner is None:
            if command.name == "input":
                return None  # keys pressed while no session runs are harmless
            raise CommandRejected(f"no session is running: start one before '{command.name}'")
        if command.name == "stop":
            self._close_runner(reason="stopped by the operator")
            return self.snapshot
        runner.command(command.name, command.payload)
        return self.snapshot

    def _close_runner(self, reason: str | None) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            runner.close(reason)
        finally:  # the finished session's counts stay on show, as the last session's
            self.publish(runner.final_snapshot())


def _rejected(name: str, exc: Exception) -> CommandRejected:
    """The caller's error for a command that failed; the cause stays attached (`__cause__`)
    so a surface can phrase a known one (a FeatureMismatchError) in its own words."""
    rejected = CommandRejected(f"{name} failed: {exc}")
    rejected.__cause__ = exc
    return rejected
