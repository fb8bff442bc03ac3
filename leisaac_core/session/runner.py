"""One running session on the worker thread: its parts, put together.

The runner opens the env, the device and the datasets, routes commands, ticks the loop and
shows it. The work is done by collaborators with one job each: the episode state machine
(episode.py) and its endings (endings.py), evaluation (evaluation.py), review (review.py),
commits and auto-push (commits.py), snapshots (snapshots.py) and the closing (closing.py). It reports through
the `SessionOutlet` it is given and never imports the engine that creates it.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from leisaac_core.dataset import EpisodeRecorder
from leisaac_core.dataset.identity import get_identity
from leisaac_core.session.closing import close_all, pack_datasets
from leisaac_core.session.commands import CommandRejected
from leisaac_core.session.commits import CommitWatcher, HubCredentials, SessionAutoPush
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.episode import EpisodeMachine
from leisaac_core.session.evaluation import Evaluation
from leisaac_core.session.fed_episode import FedEpisodeMachine
from leisaac_core.session.feed import SeedFeed
from leisaac_core.session.gestures import GESTURE_DEVICES, GestureDetector
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.parts import SessionParts, open_session_parts
from leisaac_core.session.review import ReviewQueue
from leisaac_core.session.served_policy import start_policy_server
from leisaac_core.session.snapshots import SessionView
from leisaac_core.session.state import EPISODE_PHASES, EventKind, Phase, SessionSnapshot
from leisaac_core.session.tally import Counts
from leisaac_core.session.timing import LoopClock

# Operator commands that end the episode under way: outcome and reason.
_ENDINGS = {
    "success": ("success", "marked successful by the operator"),
    "failure": ("failure", "marked failed by the operator"),
    "rerecord": ("discarded", "re-record requested by the operator"),
}


class EpisodeRunner:
    def __init__(
        self,
        config: SessionConfig,
        outlet: SessionOutlet,
        parts: SessionParts,
        hub_credentials: HubCredentials,
        feed: SeedFeed | None = None,
    ) -> None:
        self.config = config
        self.outlet = outlet
        self.parts = parts
        realtime = config.episode.realtime
        self.clock = LoopClock(
            config.env.fps, parts.device.realtime if realtime is None else realtime
        )
        self.counts = Counts(dataset=parts.writer.status().episodes_committed)
        self.review = ReviewQueue(outlet, parts.writer)
        self.commits = CommitWatcher(
            outlet, config.episode.review, self._auto_push(hub_credentials)
        )
        # Evaluations run on fixed seeds (0, 1, ... unless given); recordings vary by default.
        seed = config.episode.seed
        evaluation = None
        if config.mode == "evaluate":
            evaluation = Evaluation(outlet, config.episodes, 0 if seed is None else seed)
        gestures = None
        if config.episode.hands_free.enabled and parts.device.name in GESTURE_DEVICES:
            gestures = GestureDetector(config.episode.hands_free)
        recorder = EpisodeRecorder(
            parts.writer,
            warmup_frames=config.episode.warmup_frames,
            failures=parts.failures,
            to_dataset=get_identity(config.robot_identity).to_dataset,
        )
        machine_args = (config, outlet, parts, recorder, self.clock, self.commits, self.counts)
        seed_base = seed if seed is not None else secrets.randbelow(2**31)
        self.machine = (
            EpisodeMachine(*machine_args, evaluation, gestures, seed_base)
            if feed is None
            else FedEpisodeMachine(*machine_args, evaluation, gestures, seed_base, feed=feed)
        )
        self.view = SessionView(config, parts, self.machine, self.counts, self.review)

    def _auto_push(self, credentials: HubCredentials) -> SessionAutoPush | None:
        dataset = self.config.dataset
        if not dataset.push_every_episodes:
            return None
        return SessionAutoPush(
            self.outlet,
            dataset.push_every_episodes,
            self.parts.writer.root,
            dataset.repo_id,
            dataset.push_private,
            credentials,
            already_pushed_total=self.counts.dataset,
        )

    @classmethod
    def build(
        cls,
        config: SessionConfig,
        outlet: SessionOutlet,
        dataset_root: Path,
        hub_credentials: HubCredentials,
        feed: SeedFeed | None = None,
    ) -> EpisodeRunner:
        """Open env, device and datasets (on the worker thread) and start the first episode."""
        outlet.emit(
            EventKind.SESSION_STARTING,
            f"starting {config.env.task} on {config.env.type} with {config.driver}",
        )
        deliver = feed.deliver if feed is not None else None
        parts = open_session_parts(
            config, dataset_root, start_policy_server(config, outlet), deliver
        )
        for line in parts.writer.repairs:
            outlet.emit(EventKind.DATASET_REPAIRED, line)
        runner = cls(config, outlet, parts, hub_credentials, feed)
        repo_id = config.dataset.repo_id
        outlet.emit(
            EventKind.SESSION_STARTED,
            f"recording {config.episodes} episode(s) of {config.env.task} into {repo_id}",
            repo_id=repo_id,
            root=str(parts.writer.root),
            episodes_target=config.episodes,
            episodes_in_dataset=runner.counts.dataset,
        )
        runner.machine.begin()
        return runner

    # ---- what the engine reads -------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        return self.machine.phase

    @property
    def finished(self) -> bool:
        return self.machine.finished

    @property
    def final_message(self) -> str:
        return self.machine.final_message

    @property
    def tick_count(self) -> int:
        return self.machine.tick_count

    # ---- commands --------------------------------------------------------------------------
    def command(self, name: str, payload: Any) -> None:
        machine = self.machine
        if name == "input":
            self.parts.device.handle_input(payload or {})
        elif name in ("keep", "discard"):
            self.review.add(self.commits.take_saved_for_review())
            if self.review.decide(name, (payload or {}).get("episode_index")):
                self.counts.dataset -= 1
                self.counts.saved -= 1
        elif name == "reset":
            if machine.phase is Phase.RESETTING:
                machine.begin()  # skip the rest of the reset period
            elif machine.phase is Phase.ERROR:
                machine.recover()
            elif machine.phase in EPISODE_PHASES:
                machine.end("discarded", "reset by the operator")
        elif machine.phase not in EPISODE_PHASES:
            raise CommandRejected(
                f"'{name}' needs an episode under way; the session is {machine.phase.value}"
                + (" (send 'reset' to recover)" if machine.phase is Phase.ERROR else "")
            )
        elif name in _ENDINGS:
            machine.end(*_ENDINGS[name])
        else:
            raise CommandRejected(f"unknown command {name!r}")

    def enter_error(self, message: str) -> None:
        self.machine.enter_error(message)

    # ---- one control tick ---------------------------------------------------------------
    def tick(self) -> None:
        machine = self.machine
        # Waiting (error, review) the loop idles at the control rate: commands stay responsive.
        waiting = machine.phase in (Phase.ERROR, Phase.REVIEWING)
        started = self.clock.start_tick(paced=self.clock.realtime or waiting)
        machine.tick_count += 1
        self._check_commits()
        if machine.phase is Phase.REVIEWING:
            self._wait_for_review()
        elif machine.phase is Phase.RESETTING:
            if time.monotonic() >= machine.reset_deadline:
                machine.begin()
            else:
                machine.advance(record=False)
        elif machine.phase in EPISODE_PHASES:
            machine.advance(record=True)
        self.publish_snapshot()
        self.clock.end_tick(started)

    def _wait_for_review(self) -> None:
        """Target reached in review mode: a discard asks for one more episode; the session
        ends once every saved episode has landed and been kept or discarded."""
        if not self.machine.episodes_done():
            self.machine.start_reset_period()
        elif not self.commits.in_flight and not self.review.pending:
            self.machine.finished = True

    def _check_commits(self) -> None:
        """A commit that failed (full disk...) un-counts its episode and stops the loop."""
        self.review.add(self.commits.take_saved_for_review())
        errors = self._take_commit_errors()
        if errors:
            self.machine.enter_error(errors[-1])

    def _take_commit_errors(self) -> list[str]:
        errors = self.commits.take_errors()
        for message in errors:
            self.counts.dataset -= 1
            self.counts.saved -= 1
            self.outlet.emit(EventKind.EPISODE_SAVE_FAILED, message)
        return errors

    # ---- observation ----------------------------------------------------------------------
    def publish_snapshot(self) -> None:
        self.outlet.publish(self.view.live())

    def final_snapshot(self) -> SessionSnapshot:
        """The closed session's figures (what the page shows as the last session's)."""
        return self.view.final()

    # ---- teardown ---------------------------------------------------------------------------
    def close(self, reason: str | None) -> None:
        machine, parts = self.machine, self.parts
        if reason and machine.phase in EPISODE_PHASES:
            machine.recorder.end("discarded", None)
            self.outlet.emit(
                EventKind.EPISODE_DISCARDED,
                f"episode {machine.episode_number()} discarded: {reason}",
            )
        writers = [w for w in (parts.writer, parts.failures) if w is not None]
        errors = pack_datasets(self.outlet, writers)
        closers = [("dataset", parts.writer.close)]
        if parts.failures is not None:
            closers.append(("failures dataset", parts.failures.close))
        closers += [("device", parts.device.disconnect), ("simulation", parts.env.close)]
        if parts.policy_server is not None:
            closers.append(("policy server", parts.policy_server.stop))
        errors += close_all(closers)
        errors = [*self._take_commit_errors(), *errors]  # commits finish inside writer.close()
        counts, evaluation = self.counts, machine.evaluation
        self.view.settle()
        summary = f"{counts.saved} episode(s) saved"
        if evaluation is not None and evaluation.outcomes:
            summary += evaluation.write_report(parts.writer.root, self._report_context())
        elif counts.errors:
            summary += f", {counts.errors} ended by an error"
        machine.final_message = f"{machine.final_message or reason or 'done'}: {summary}"
        if errors:
            machine.final_message += "; " + "; ".join(errors)
        self.outlet.emit(
            EventKind.SESSION_STOPPED if reason else EventKind.SESSION_FINISHED,
            machine.final_message,
            episodes_saved=counts.saved,
            episodes_failed=counts.failed,
            episodes_errored=counts.errors,
            frames_saved=self.view.frames_saved,
        )

    def _report_context(self) -> dict[str, Any]:
        config, parts = self.config, self.parts
        return {
            "repo_id": config.dataset.repo_id,
            "dataset": str(parts.writer.root),
            "failures_dataset": str(parts.failures.root) if parts.failures else None,
            "task": config.env.task,
            "backend": parts.env.backend,
            "device": parts.device.name,
            "policy_url": parts.policy_server.url
            if parts.policy_server
            else getattr(config.policy, "url", None),
            "policy_checkpoint": getattr(config.policy, "path", None),
            "fps": config.env.fps,
            "realtime": self.clock.realtime,
            "episodes_requested": config.episodes,
        }
