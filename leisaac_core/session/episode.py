"""The episode state machine (worker thread only).

    WARMUP (first N ticks unrecorded) -> RECORDING -> [success held K ticks or operator]
      -> SUCCESS_TAIL (M ticks) -> commit (async) -> RESETTING (timed) -> WARMUP ...
    RECORDING -> failure | timeout | rerecord -> discard (or keep labelled) -> RESETTING
    any device/env error -> the episode is an `error` (measured nothing) -> ERROR; `reset`
      recovers. An evaluation goes on with the next seed after a device (policy) error,
      and stops when its policy server was never reached.
    target reached -> finished, or in review mode REVIEWING until the review queue is empty.

The observation recorded with an action is the one the action was chosen from (lerobot's
convention: frame t = observation t + action t).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from leisaac_core.dataset import EpisodeMeta, EpisodeRecorder
from leisaac_core.policy import PolicyUnreachable
from leisaac_core.session.commits import CommitWatcher
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.endings import EpisodeEndings, error_message, unreachable_message
from leisaac_core.session.evaluation import Evaluation
from leisaac_core.session.gestures import GestureDetector
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.parts import SessionParts
from leisaac_core.session.pause import PauseWatch
from leisaac_core.session.state import EPISODE_PHASES, EventKind, FrameSet, Phase
from leisaac_core.session.tally import Counts, EpisodeState, reward_extras
from leisaac_core.session.timing import LoopClock
from leisaac_core.sim import Step
from leisaac_core.teleop import DeviceError


class EpisodeMachine:
    """Begins, steps and ends episodes; the runner around it routes commands and shows it."""

    def __init__(
        self,
        config: SessionConfig,
        outlet: SessionOutlet,
        parts: SessionParts,
        recorder: EpisodeRecorder,
        clock: LoopClock,
        commits: CommitWatcher,
        counts: Counts,
        evaluation: Evaluation | None,
        gestures: GestureDetector | None,
        seed_base: int,
    ) -> None:
        self.config = config
        self.outlet = outlet
        self.env, self.device = parts.env, parts.device
        self.recorder = recorder
        self.clock = clock
        self.counts = counts
        self.evaluation = evaluation
        self.endings = EpisodeEndings(config, outlet, commits, counts, evaluation)
        self.gestures = gestures
        self.seed_base = seed_base
        self.records_rewards = bool(recorder.writer.spec.frame_features)
        self.phase = Phase.WARMUP
        self.message = ""
        self.finished = False
        self.final_message = ""
        self.tick_count = 0
        self.episode = EpisodeState()
        self.pause = PauseWatch(outlet)
        self._attempt = 0
        self.reset_deadline = 0.0

    # ---- stepping ------------------------------------------------------------------------
    def advance(self, record: bool) -> None:
        """Step once: the device's action from the last observation, recorded when asked."""
        episode = self.episode
        assert episode.last is not None
        if self.pause.holds(self.device, self.episode_number()):
            return  # the arm holds: no step, nothing recorded, the time limit waits
        try:
            observation = episode.last
            action = np.asarray(self.device.read(observation), dtype=np.float32)
            step = self.env.step(action)
        except Exception as exc:  # device unplugged, env failure: fail the episode, keep running
            self.fail(exc)
            return
        episode.last = step
        self.outlet.publish_frames(FrameSet(self.tick_count, time.time(), step.images))
        if not record:
            return
        episode.ticks += 1
        episode.intervention_ticks += self.device.intervention
        extras = None
        if self.records_rewards:
            tail = self.phase is Phase.SUCCESS_TAIL
            extras = reward_extras(step, tail, self.device.intervention)
        self.recorder.step(
            observation.state, action, observation.images, extras, self.clock.encoder_wait_s()
        )
        if self.phase is Phase.SUCCESS_TAIL:
            episode.tail_left -= 1
            if episode.tail_left <= 0:
                self.end("success", "success detected")
            return
        if self.phase is Phase.WARMUP and not self.recorder.in_warmup:
            self.phase = Phase.RECORDING
            self.outlet.emit(
                EventKind.RECORDING_STARTED, f"episode {self.episode_number()} recording"
            )
        if self.phase is Phase.RECORDING:
            self._check_success(step)
        if self.phase is Phase.RECORDING and self.gestures is not None:
            gesture = self.gestures.update(action, time.monotonic())
            if gesture is not None:
                self.end(gesture, f"leader-arm gesture ({gesture})")
                return
        if self.phase in EPISODE_PHASES and episode.ticks >= self._tick_limit():
            self.end("timeout", f"episode time limit of {self.config.time_limit_s:g} s reached")

    def _check_success(self, step: Step) -> None:
        episode, rules = self.episode, self.config.episode
        if not step.success:
            episode.success_streak = 0
            return
        episode.success_streak += 1
        if episode.success_tick is None:
            episode.success_tick = max(0, episode.ticks - rules.warmup_frames)
        if episode.success_streak == 1:
            self.outlet.emit(EventKind.SUCCESS_DETECTED, "the task's success rule holds")
        if episode.success_streak < rules.success_hold_ticks:
            return
        if rules.success_tail_ticks <= 0:
            self.end("success", "success detected")
            return
        self.phase = Phase.SUCCESS_TAIL
        episode.tail_left = rules.success_tail_ticks
        self.outlet.emit(
            EventKind.SUCCESS_TAIL_STARTED,
            f"success held; recording {episode.tail_left} more tick(s)",
            episode_number=self.episode_number(),
        )

    def _tick_limit(self) -> int:
        return max(1, round(self.config.time_limit_s * self.config.env.fps))

    # ---- transitions -----------------------------------------------------------------------
    def next_seed(self) -> int | None:
        """The seed of the episode about to begin; None when there is none yet."""
        if self.evaluation is not None:  # a re-recorded evaluation episode runs its seed again
            return self.evaluation.next_seed
        return self.seed_base + self._attempt

    def begin(self) -> None:
        seed = self.next_seed()
        if seed is None:
            return
        self._attempt += 1
        try:
            last = self.env.reset(seed=seed)
            self.device.reset(seed)
        except Exception as exc:
            self.episode.seed = seed
            self.fail(exc, episode_in_progress=False)
            return
        self.episode = EpisodeState(seed=seed, last=last)
        self.outlet.publish_frames(FrameSet(self.tick_count, time.time(), last.images))
        self.recorder.begin(self.env.task_text)
        self.clock.episode.restart()
        self.pause.restart()
        if self.gestures is not None:
            self.gestures.reset()
        self.phase = Phase.WARMUP if self.recorder.in_warmup else Phase.RECORDING
        self.message = ""
        number = self.episode_number()
        self.outlet.emit(
            EventKind.EPISODE_STARTED,
            f"episode {number} of {self.config.episodes} started (seed {seed})",
            episode_number=number,
            seed=seed,
        )

    def end(self, outcome: str, reason: str) -> None:
        future = self.recorder.end(outcome, self._meta(outcome))
        self.endings.ended(outcome, reason, self.episode, self._figures(), future)
        if self.episodes_done():
            self.reach_target()
            return
        counts, limit = self.counts, self.config.episode.max_consecutive_failures
        if self.evaluation is None and counts.consecutive_failures >= limit:
            self.finished = True
            n = counts.consecutive_failures
            self.final_message = (
                f"stopped after {n} failed episode{'s' if n != 1 else ''} in a row "
                "(check the device and the task)"
            )
            self.outlet.emit(EventKind.SESSION_ERROR, self.final_message)
            return
        self.start_reset_period()

    def reach_target(self) -> None:
        """The session has its episodes: it ends, or in review mode waits for the review of
        the last ones (the runner ends it once none is left, or starts one more after a
        discard)."""
        if not self.config.episode.review:
            self.finished = True
            return
        self.phase = Phase.REVIEWING
        self.message = "waiting for the review of the last episode(s): keep or discard"
        self.outlet.emit(EventKind.REVIEW_WAITING, self.message)

    def start_reset_period(self) -> None:
        seconds = self.config.episode.reset_time_s
        self.phase = Phase.RESETTING
        self.reset_deadline = time.monotonic() + seconds
        self.outlet.emit(EventKind.RESET_STARTED, f"reset period of {seconds:g} s", seconds=seconds)
        if seconds <= 0:
            self.begin()

    def fail(self, exc: Exception, episode_in_progress: bool = True) -> None:
        """The device or the env raised: the episode under way measured nothing (`error`)."""
        message = error_message(exc)
        if episode_in_progress and self.phase in EPISODE_PHASES:
            # An evaluation keeps the episode labelled `error` with its failures; a
            # recording drops it (it shows no attempt at the task).
            figures = self._figures()
            kept = "error" if self.evaluation is not None else "discarded"
            future = self.recorder.end(kept, self._meta("error"))
            self.endings.errored(message, self.episode, figures, future)
            # An evaluation goes on with the next seed after a device (policy server) fault,
            # unless its server was never reached: then no seed can measure anything.
            if self.evaluation is not None and isinstance(exc, PolicyUnreachable):
                self.finished = True
                self.final_message = unreachable_message(message)
                self.outlet.emit(EventKind.SESSION_ERROR, self.final_message)
                return
            if self.evaluation is not None and isinstance(exc, DeviceError):
                if self.episodes_done():
                    self.reach_target()
                else:
                    self.start_reset_period()
                return
        self.enter_error(message)

    def enter_error(self, message: str) -> None:
        self.phase = Phase.ERROR
        self.message = message
        self.outlet.emit(
            EventKind.SESSION_ERROR, f"{message} (send 'reset' to recover)", waits_for_reset=True
        )

    def recover(self) -> None:
        self.outlet.emit(EventKind.RECOVERING, "resetting the scene after the error")
        self.begin()
        if self.phase is not Phase.ERROR:
            self.outlet.emit(EventKind.RECOVERED, "the session is running again")

    # ---- figures -------------------------------------------------------------------------
    def episodes_done(self) -> bool:
        if self.evaluation is not None:
            return self.evaluation.done
        return self.counts.saved >= self.config.episodes

    def episode_number(self) -> int:
        """1-based number of the episode under way within this session ("episode N of M").
        Once the target is reached no episode follows: the last one's number stays (while
        the session finishes or waits for review), never "N + 1 of N"."""
        if self.evaluation is not None:
            return min(len(self.evaluation.outcomes) + 1, self.config.episodes)
        return min(self.counts.saved + 1, self.config.episodes)

    def _figures(self) -> dict[str, Any]:
        timing = self.clock.episode.timing()
        return self.episode.figures(self.episode_number(), timing, self.device.starved_ticks)

    def _meta(self, outcome: str) -> EpisodeMeta:
        return self.episode.meta(
            outcome,
            self.clock.episode.timing(),
            self.clock.realtime,
            self.device,
            self.env,
            self.config,
            pauses=self.pause.pauses,
        )
