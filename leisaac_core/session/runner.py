"""The episode state machine of one running session (lives on the worker thread only).

    WARMUP (first N ticks unrecorded) -> RECORDING -> [success held K ticks or operator]
      -> SUCCESS_TAIL (M ticks) -> commit (async) -> RESETTING (timed) -> WARMUP ...
    RECORDING -> failure | timeout | rerecord -> discard (or keep labelled) -> RESETTING
    any device/env error -> the episode fails -> ERROR; `reset` recovers.

The observation recorded with an action is the one the action was chosen from (lerobot's
convention: frame t = observation t + action t).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from leisaac_core.dataset import (
    DatasetWriter,
    EpisodeMeta,
    EpisodeRecorder,
)
from leisaac_core.dataset.identity import get_identity
from leisaac_core.hub import AutoPush, AutoPushConfig, PushResult, push_dataset
from leisaac_core.policy.evaluation import (
    EpisodeOutcome,
    format_summary,
    report_path,
    summarize,
    write_report,
)
from leisaac_core.session.commands import CommandRejected
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.gestures import GESTURE_DEVICES, GestureDetector
from leisaac_core.session.parts import open_session_parts
from leisaac_core.session.state import EPISODE_PHASES, FrameSet, Phase, SessionSnapshot
from leisaac_core.session.timing import LoadMeter, PeriodMeter, loop_advice
from leisaac_core.sim import Env, Step, info
from leisaac_core.teleop import Device, DeviceError

if TYPE_CHECKING:
    from leisaac_core.session.engine import SessionEngine

log = logging.getLogger("leisaac.session")

# Figures that need a sort (percentiles) are refreshed every this many ticks, not every tick.
_SLOW_FIGURES_EVERY = 10


class EpisodeRunner:
    def __init__(
        self,
        config: SessionConfig,
        engine: SessionEngine,
        env: Env,
        device: Device,
        writer: DatasetWriter,
        failures: DatasetWriter | None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.env = env
        self.device = device
        self.writer = writer
        self.failures = failures
        self.recorder = EpisodeRecorder(
            writer,
            warmup_frames=config.warmup_frames,
            failures=failures,
            to_dataset=get_identity(config.robot_identity).to_dataset,
        )
        self.realtime = device.realtime if config.realtime is None else config.realtime
        self.period = 1.0 / config.fps
        # Per-episode figures (stored with the episode) restart with each episode; the live
        # figures on the dashboard come from a rolling window that never restarts, so a new
        # episode does not look like a stalled loop.
        self.meter = PeriodMeter(config.fps)
        self.live_meter = PeriodMeter(config.fps, max_samples=300)
        self.load_meter = LoadMeter(self.period)
        self._loop_advice = ""
        self.phase = Phase.WARMUP
        self.message = ""
        self.finished = False
        self.final_message = ""
        self.tick_count = 0
        self.episodes_saved = writer.status().episodes_committed
        self.saved_this_session = 0
        self.episodes_failed = 0
        self.consecutive_failures = 0
        self.evaluating = config.mode == "evaluate"
        # Evaluations run on fixed seeds (0, 1, ... unless given); recordings vary by default.
        default_seed = 0 if self.evaluating else secrets.randbelow(2**31)
        self._seed_base = config.seed if config.seed is not None else default_seed
        self.outcomes: list[EpisodeOutcome] = []
        self._evaluation: dict[str, Any] = {}  # summary of `outcomes`, for the snapshot
        self._records_rewards = bool(writer.spec.frame_features)
        self._intervention_ticks = 0
        self._success_tick: int | None = None
        self._attempt = 0
        self._seed: int | None = None
        self._last: Step | None = None
        self._episode_ticks = 0
        self._success_streak = 0
        self._tail_left = 0
        self._reset_deadline = 0.0
        self._next_deadline = 0.0
        self._timing = self.live_meter.timing()
        self._recorder_status: dict[str, Any] = {}
        self._commit_errors: list[str] = []
        # Review mode: indices saved by the commit thread (appended there), then owned by the
        # worker thread as `pending_review` until kept or discarded.
        self._saved_for_review: deque[int] = deque()
        self.pending_review: list[int] = []
        self.gestures: GestureDetector | None = None
        if config.hands_free.enabled and device.name in GESTURE_DEVICES:
            self.gestures = GestureDetector(config.hands_free)
        self.auto_push: AutoPush | None = None
        if config.push_every_episodes:
            self.auto_push = AutoPush(
                AutoPushConfig(config.push_every_episodes),
                push=self._push_now,
                on_done=self._on_auto_push,
                already_pushed_total=self.episodes_saved,
            )

    # ---- construction ---------------------------------------------------------------------
    @classmethod
    def build(cls, config: SessionConfig, engine: SessionEngine) -> EpisodeRunner:
        """Open env, device and datasets (on the worker thread) and start the first episode."""
        engine.emit(
            "session_starting", f"starting {config.task} on {config.backend} with {config.device}"
        )
        parts = open_session_parts(config, engine.dataset_root)
        for line in parts.writer.repairs:
            engine.emit("dataset_repaired", line)
        runner = cls(config, engine, parts.env, parts.device, parts.writer, parts.failures)
        engine.emit(
            "session_started",
            f"recording {config.episodes} episode(s) of {config.task} into {config.repo_id}",
            repo_id=config.repo_id,
            root=str(parts.writer.root),
            episodes_target=config.episodes,
            episodes_in_dataset=runner.episodes_saved,
        )
        runner._begin_episode()
        return runner

    # ---- commands --------------------------------------------------------------------------
    def command(self, name: str, payload: Any) -> None:
        if name == "input":
            self.device.handle_input(payload or {})
            return
        if name in ("keep", "discard"):
            self._review(name, payload)
            return
        if name == "reset":
            if self.phase is Phase.RESETTING:
                self._begin_episode()  # skip the rest of the reset period
            elif self.phase is Phase.ERROR:
                self._recover()
            elif self.phase in EPISODE_PHASES:
                self._end_episode("discarded", "reset by the operator")
            return
        if self.phase not in EPISODE_PHASES:
            raise CommandRejected(
                f"'{name}' needs an episode under way; the session is {self.phase.value}"
                + (" (send 'reset' to recover)" if self.phase is Phase.ERROR else "")
            )
        if name == "success":
            self._end_episode("success", "marked successful by the operator")
        elif name == "failure":
            self._end_episode("failure", "marked failed by the operator")
        elif name == "rerecord":
            self._end_episode("discarded", "re-record requested by the operator")
        else:
            raise CommandRejected(f"unknown command {name!r}")

    # ---- one control tick ---------------------------------------------------------------
    def tick(self) -> None:
        self._pace()
        now = time.perf_counter()
        self.meter.tick(now)
        self.live_meter.tick(now)
        self._tick_work()
        self.load_meter.add(time.perf_counter() - now)

    def _tick_work(self) -> None:
        self.tick_count += 1
        self._check_commits()
        if self.phase is Phase.RESETTING:
            if time.monotonic() >= self._reset_deadline:
                self._begin_episode()
            else:
                self._advance(record=False)
        elif self.phase in EPISODE_PHASES:
            self._advance(record=True)
        # In ERROR the loop idles at the control rate so commands stay responsive.
        self.publish_snapshot()

    def _pace(self) -> None:
        now = time.perf_counter()
        if self.phase is Phase.ERROR or self.realtime:
            if self._next_deadline > now:
                time.sleep(self._next_deadline - now)
            # After an overrun the schedule restarts from now instead of bursting to catch up.
            self._next_deadline = max(self._next_deadline + self.period, time.perf_counter())

    def _advance(self, record: bool) -> None:
        assert self._last is not None
        try:
            observation = self._last
            action = np.asarray(self.device.read(observation), dtype=np.float32)
            step = self.env.step(action)
        except Exception as exc:  # device unplugged, env failure: fail the episode, keep running
            self._fail(exc)
            return
        self._last = step
        self.engine.latest_frames = _frames(self.tick_count, step)
        if not record:
            return
        self._episode_ticks += 1
        intervention = bool(getattr(self.device, "intervention", False))  # policy device only
        self._intervention_ticks += intervention
        extras = None
        if self._records_rewards:
            success = bool(step.success)
            extras = {
                "next.reward": 1.0 if success or self.phase is Phase.SUCCESS_TAIL else 0.0,
                "next.success": success,
                "intervention": intervention,
            }
        self.recorder.step(
            observation.state, action, observation.images, extras, self._encoder_wait_s()
        )
        if self.phase is Phase.SUCCESS_TAIL:
            self._tail_left -= 1
            if self._tail_left <= 0:
                self._end_episode("success", "success detected")
            return
        if self.phase is Phase.WARMUP and not self.recorder.in_warmup:
            self.phase = Phase.RECORDING
            self.engine.emit("recording_started", f"episode {self._episode_number()} recording")
        if self.phase is Phase.RECORDING:
            self._check_success(step)
        if self.phase is Phase.RECORDING and self.gestures is not None:
            gesture = self.gestures.update(action, time.monotonic())
            if gesture is not None:
                self._end_episode(gesture, f"leader-arm gesture ({gesture})")
                return
        if self.phase in EPISODE_PHASES and self._episode_ticks >= self._tick_limit():
            self._end_episode(
                "timeout", f"episode time limit of {self.config.time_limit_s:g} s reached"
            )

    def _encoder_wait_s(self) -> float | None:
        """How long this tick may wait for a busy video encoder: unpaced, as long as it takes
        (no frame is ever dropped); paced, until the next tick is due (a drop only where
        waiting would break the period)."""
        if not self.realtime:
            return None
        return max(0.0, self._next_deadline - time.perf_counter())

    def _check_success(self, step: Step) -> None:
        if not step.success:
            self._success_streak = 0
            return
        self._success_streak += 1
        if self._success_tick is None:
            self._success_tick = max(0, self._episode_ticks - self.config.warmup_frames)
        if self._success_streak == 1:
            self.engine.emit("success_detected", "the task's success rule holds")
        if self._success_streak >= self.config.success_hold_ticks:
            if self.config.success_tail_ticks > 0:
                self.phase = Phase.SUCCESS_TAIL
                self._tail_left = self.config.success_tail_ticks
                self.engine.emit(
                    "success_tail_started",
                    f"success held; recording {self._tail_left} more tick(s)",
                    episode_number=self._episode_number(),
                )
            else:
                self._end_episode("success", "success detected")

    def _tick_limit(self) -> int:
        return max(1, round(self.config.time_limit_s * self.config.fps))

    # ---- episode transitions ------------------------------------------------------------
    def _begin_episode(self) -> None:
        self._seed = self._seed_base + self._attempt
        if self.evaluating:  # a re-recorded evaluation episode runs its seed again
            self._seed = self._seed_base + len(self.outcomes)
        self._attempt += 1
        try:
            self._last = self.env.reset(seed=self._seed)
            self.device.reset(self._seed)
        except Exception as exc:
            self._fail(exc, episode_in_progress=False)
            return
        self.engine.latest_frames = _frames(self.tick_count, self._last)
        self.recorder.begin(self.env.task_text)
        self.meter.restart()
        if self.gestures is not None:
            self.gestures.reset()
        self._episode_ticks = 0
        self._success_streak = 0
        self._success_tick = None
        self._intervention_ticks = 0
        self.phase = Phase.WARMUP if self.recorder.in_warmup else Phase.RECORDING
        self.message = ""
        self.engine.emit(
            "episode_started",
            f"episode {self._episode_number()} of {self.config.episodes} started (seed {self._seed})",
            episode_number=self._episode_number(),
            seed=self._seed,
        )

    def _episode_meta(self, outcome: str) -> EpisodeMeta:
        timing = self.meter.timing()
        return EpisodeMeta(
            outcome=outcome,
            fps_achieved=timing.achieved_fps,
            period_p99_ms=timing.period_p99_ms,
            device=self.device.name,
            backend=self.env.backend,
            seed=self._seed,
            task=self.env.task_text,
            note=self.config.note,
            starved_ticks=getattr(self.device, "starved_ticks", None),
            intervention_ticks=self._intervention_ticks if self.device.name == "policy" else None,
        )

    def _end_episode(self, outcome: str, reason: str) -> None:
        timing = self.meter.timing()
        meta = self._episode_meta(outcome)
        number = self._episode_number()
        future = self.recorder.end(outcome, meta)
        qc = {"episode_number": number, "timing": asdict(timing), **self._policy_figures()}
        if outcome != "discarded":
            self._note_outcome(outcome, reason)
        if outcome == "success":
            self.episodes_saved += 1
            self.saved_this_session += 1
            self.consecutive_failures = 0
            self.engine.emit(
                "episode_succeeded", f"episode {number} succeeded ({reason}); saving", **qc
            )
            if future is not None:
                future.add_done_callback(lambda f, n=number: self._on_commit(f, n))
        elif outcome == "discarded":
            self.engine.emit("episode_discarded", f"episode {number} discarded: {reason}", **qc)
        else:
            self.episodes_failed += 1
            self.consecutive_failures += 1
            self.engine.emit(
                f"episode_{outcome}", f"episode {number} {outcome}: {reason}", outcome=outcome, **qc
            )
        if self._episodes_done():
            self.finished = True
            return
        if (
            not self.evaluating
            and self.consecutive_failures >= self.config.max_consecutive_failures
        ):
            self.finished = True
            self.final_message = (
                f"stopped after {self.consecutive_failures} failed "
                f"episode{'s' if self.consecutive_failures != 1 else ''} in a row "
                "(check the device and the task)"
            )
            self.engine.emit("session_error", self.final_message)
            return
        self._start_reset_period()

    def _start_reset_period(self) -> None:
        self.phase = Phase.RESETTING
        self._reset_deadline = time.monotonic() + self.config.reset_time_s
        self.engine.emit(
            "reset_started",
            f"reset period of {self.config.reset_time_s:g} s",
            seconds=self.config.reset_time_s,
        )
        if self.config.reset_time_s <= 0:
            self._begin_episode()

    def _fail(self, exc: Exception, episode_in_progress: bool = True) -> None:
        message = str(exc) or type(exc).__name__
        log.warning("episode failed: %s", message, exc_info=not isinstance(exc, RuntimeError))
        if episode_in_progress and self.phase in EPISODE_PHASES:
            self.recorder.end("failure", self._episode_meta("failure"))
            self.episodes_failed += 1
            self.consecutive_failures += 1
            number = self._episode_number()
            self._note_outcome("failure", message)
            self.engine.emit(
                "episode_failure",
                f"episode {number} failed: {message}",
                episode_number=number,
                outcome="failure",
                **self._policy_figures(),
            )
            # An evaluation goes on with the next seed (a device fault is an outcome too).
            if self.evaluating and isinstance(exc, DeviceError):
                if self._episodes_done():
                    self.finished = True
                else:
                    self._start_reset_period()
                return
        self.enter_error(message)

    def _episodes_done(self) -> bool:
        if self.evaluating:
            return len(self.outcomes) >= self.config.episodes
        return self.saved_this_session >= self.config.episodes

    def _policy_figures(self) -> dict[str, Any]:
        starved = getattr(self.device, "starved_ticks", None)  # policy device only
        figures: dict[str, Any] = {"intervention_ticks": self._intervention_ticks}
        if starved is not None:
            figures["starved_ticks"] = starved
        return figures

    def _note_outcome(self, outcome: str, reason: str) -> None:
        if not self.evaluating:
            return
        success_s = None
        if outcome == "success" and self._success_tick is not None:
            success_s = self._success_tick / self.config.fps
        self.outcomes.append(
            EpisodeOutcome(
                seed=self._seed,
                outcome=outcome,
                reason=reason,
                ticks=max(0, self._episode_ticks - self.config.warmup_frames),
                time_to_success_s=success_s,
                starved_ticks=getattr(self.device, "starved_ticks", None),
                intervention_ticks=self._intervention_ticks,
            )
        )
        summary = self._evaluation = summarize(self.outcomes)
        self.engine.emit(
            "evaluation_progress",
            f"evaluation: {format_summary(summary)}",
            **summary,
        )

    def enter_error(self, message: str) -> None:
        self.phase = Phase.ERROR
        self.message = message
        self.engine.emit("session_error", f"{message} (send 'reset' to recover)")

    def _review(self, decision: str, payload: Any) -> None:
        self._take_saved_for_review()
        index = (payload or {}).get("episode_index")
        if index not in self.pending_review:
            raise CommandRejected(
                f"episode {index} is not awaiting review; awaiting: {self.pending_review or 'none'}"
            )
        self.pending_review.remove(index)
        if decision == "keep":
            self.engine.emit("episode_kept", f"episode {index} kept", episode_index=index)
            return
        # Deleting runs on the writer's own thread, after any commit already queued there;
        # later episodes move down one index.
        self.writer.delete_episodes([index])
        self.pending_review = [i - 1 if i > index else i for i in self.pending_review]
        self.episodes_saved -= 1
        self.saved_this_session -= 1
        self.engine.emit(
            "episode_discarded_after_review",
            f"episode {index} discarded after review; one more will be recorded",
            episode_index=index,
        )

    def _take_saved_for_review(self) -> None:
        while self._saved_for_review:
            self.pending_review.append(self._saved_for_review.popleft())

    def _recover(self) -> None:
        self.engine.emit("recovering", "resetting the scene after the error")
        self._begin_episode()
        if self.phase is not Phase.ERROR:
            self.engine.emit("recovered", "the session is running again")

    def _on_commit(self, future: Future[Any], number: int) -> None:
        """Runs on the writer's commit thread: only emit events and queue errors here."""
        exc = future.exception()
        if exc is not None:
            self._commit_errors.append(f"episode {number} could not be saved: {exc}")
            return
        saved = future.result()
        committed = (
            saved.episode_index + 1 if saved.saved and saved.episode_index is not None else 0
        )
        if self.config.review and committed:
            self._saved_for_review.append(committed - 1)
        self.engine.emit(
            "episode_saved", f"episode {number} saved", episode_number=number, saved=_as_dict(saved)
        )
        if self.auto_push is not None and committed and self.auto_push.episode_committed(committed):
            self.engine.emit(
                "push_started", f"auto-push to {self.config.repo_id}", repo_id=self.config.repo_id
            )

    def _push_now(self) -> PushResult:
        """Runs on the auto-push thread: uploads committed episodes only (a snapshot)."""
        token, endpoint = self.engine.hub_credentials()
        return push_dataset(
            self.writer.root,
            self.config.repo_id,
            token=token,
            private=self.config.push_private,
            endpoint=endpoint,
        )

    def _on_auto_push(self, result: PushResult | None, error: Exception | None) -> None:
        if error is not None:
            self.engine.emit(
                "push_failed",
                f"auto-push failed (retried after the next episode): {error}",
                repo_id=self.config.repo_id,
            )
        elif result is not None:
            self.engine.emit(
                "push_finished",
                f"pushed to {result.url}",
                repo_id=self.config.repo_id,
                **_as_dict(result),
            )

    def _check_commits(self) -> None:
        """A commit that failed (full disk...) un-counts its episode and stops the loop."""
        self._take_saved_for_review()
        errors = self._drain_commit_errors()
        if errors:
            self.enter_error(errors[-1])

    def _drain_commit_errors(self) -> list[str]:
        errors = []
        while self._commit_errors:
            message = self._commit_errors.pop(0)
            self.episodes_saved -= 1
            self.saved_this_session -= 1
            self.engine.emit("episode_save_failed", message)
            errors.append(message)
        return errors

    def _episode_number(self) -> int:
        """1-based number of the episode under way within this session ("episode N of M")."""
        if self.evaluating:
            return len(self.outcomes) + 1
        return self.saved_this_session + 1

    def _write_evaluation_report(self) -> str:
        path = report_path(self.writer.root)
        context = {
            "repo_id": self.config.repo_id,
            "dataset": str(self.writer.root),
            "failures_dataset": str(self.failures.root) if self.failures else None,
            "task": self.config.task,
            "backend": self.env.backend,
            "device": self.device.name,
            "policy_url": self.config.policy_url,
            "fps": self.config.fps,
            "realtime": self.realtime,
            "seeds": [o.seed for o in self.outcomes],
        }
        try:
            report = write_report(path, self.outcomes, context)
        except OSError as exc:
            log.exception("writing the evaluation report failed")
            return f"; the evaluation report could not be written: {exc}"
        self.engine.emit(
            "evaluation_report",
            f"evaluation report: {path}",
            path=str(path),
            **report["summary"],
        )
        return f"; {format_summary(report['summary'])}; report {path}"

    # ---- observation ----------------------------------------------------------------------
    def publish_snapshot(self) -> None:
        if self.tick_count % _SLOW_FIGURES_EVERY == 0:
            self._timing = self.live_meter.timing()
            self._recorder_status = _as_dict(self.writer.status())
            # Unpaced runs (realtime off) need not keep up with the clock.
            self._loop_advice = loop_advice(
                self.load_meter.busy_p90_ms() if self.realtime else None,
                self.config.fps,
                self.config.camera_width,
                self.config.camera_height,
            )
        last = self._last
        reset_left = (
            max(0.0, self._reset_deadline - time.monotonic())
            if self.phase is Phase.RESETTING
            else 0.0
        )
        self.engine.publish(
            SessionSnapshot(
                phase=self.phase,
                tick=self.tick_count,
                message=self.message,
                task=self.config.task,
                task_text=self.env.task_text,
                backend=self.env.backend,
                device=self.device.name,
                repo_id=self.config.repo_id,
                episode_number=self._episode_number(),
                episodes_target=self.config.episodes,
                episodes_saved=self.saved_this_session,
                dataset_episodes=self.episodes_saved,
                episodes_failed=self.episodes_failed,
                consecutive_failures=self.consecutive_failures,
                episode_time_s=self._episode_ticks / self.config.fps,
                episode_time_limit_s=self.config.time_limit_s,
                reset_time_left_s=reset_left,
                frames_recorded=max(0, self.recorder.steps - self.recorder.warmup_frames),
                success=bool(last.success) if last is not None else False,
                success_streak=self._success_streak,
                joint_names=tuple(self.env.joint_names),
                joint_state=tuple(float(v) for v in last.state) if last is not None else (),
                cameras=tuple(c.name for c in self.env.cameras),
                objects=_objects(last),
                pending_review=tuple(self.pending_review),
                timing=self._timing,
                loop_advice=self._loop_advice,
                device_health=_as_dict(self.device.health()),
                evaluation=self._evaluation,
                recorder=self._recorder_status,
            )
        )

    # ---- teardown ---------------------------------------------------------------------------
    def close(self, reason: str | None) -> None:
        if reason and self.phase in EPISODE_PHASES:
            self.recorder.end("discarded", None)
            self.engine.emit(
                "episode_discarded", f"episode {self._episode_number()} discarded: {reason}"
            )
        errors = self._pack_datasets()
        for name, action in (
            ("dataset", self.writer.close),
            ("failures dataset", self.failures.close if self.failures else None),
            ("device", self.device.disconnect),
            ("simulation", self.env.close),
        ):
            if action is None:
                continue
            try:
                action()
            except Exception as exc:
                errors.append(f"closing the {name} failed: {exc}")
                log.exception("closing the %s failed", name)
        errors = self._drain_commit_errors() + errors  # commits finish inside writer.close()
        summary = f"{self.saved_this_session} episode(s) saved"
        if self.evaluating and self.outcomes:
            summary += self._write_evaluation_report()
        self.final_message = f"{self.final_message or reason or 'done'}: {summary}"
        if errors:
            self.final_message += "; " + "; ".join(errors)
        self.engine.emit(
            "session_stopped" if reason else "session_finished",
            self.final_message,
            episodes_saved=self.saved_this_session,
            episodes_failed=self.episodes_failed,
        )

    def _pack_datasets(self) -> list[str]:
        """A session leaves its datasets packed into lerobot-sized files, with progress shown;
        recording is over, so the wait costs no frame."""
        errors: list[str] = []
        for writer in (self.writer, self.failures):
            if writer is None or not writer.needs_packing:
                continue
            repo = writer.spec.repo_id
            self.engine.emit("dataset_packing", f"packing {repo} into lerobot-sized files")
            try:
                result = writer.pack()
            except Exception as exc:
                errors.append(f"packing {repo} failed (every saved episode is kept): {exc}")
                log.exception("packing %s failed", repo)
                continue
            self.engine.emit(
                "dataset_packed",
                f"{repo} packed: {result.files_before} files -> {result.files_after}",
                repo_id=repo,
                files_before=result.files_before,
                files_after=result.files_after,
            )
        return errors


def _objects(step: Step | None) -> dict[str, tuple[float, ...]]:
    if step is None or info.OBJECT_POSITIONS not in step.info:
        return {}
    return {
        name: tuple(round(float(v), 4) for v in pos)
        for name, pos in info.positions_in_base_frame(step.info).items()
    }


def _frames(tick: int, step: Step) -> FrameSet:
    return FrameSet(tick=tick, time=time.time(), images=step.images)


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    from dataclasses import is_dataclass

    return asdict(obj) if is_dataclass(obj) else {"value": str(obj)}
