"""What the runner shows of itself: the snapshot of each tick, the one that stays once the
session is over, and the figures of a snapshot that cost a sort or a lock (refreshed every
few ticks, not every tick)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from leisaac_core.dataset import DatasetWriter
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.episode import EpisodeMachine
from leisaac_core.session.parts import SessionParts
from leisaac_core.session.review import ReviewQueue
from leisaac_core.session.state import LoopTiming, Phase, SessionSnapshot
from leisaac_core.session.tally import Counts
from leisaac_core.session.timing import LoopClock, loop_advice
from leisaac_core.sim import Step, info

# Figures that need a sort (percentiles) are refreshed every this many ticks, not every tick.
SLOW_FIGURES_EVERY = 10


class SlowFigures:
    """Loop timing, the recorder's status and the loop advice, as of the last refresh."""

    def __init__(self, clock: LoopClock, writer: DatasetWriter) -> None:
        self.clock = clock
        self.writer = writer
        self.timing: LoopTiming = clock.live.timing()
        self.recorder: dict[str, Any] = {}
        self.advice = ""
        self.frames_committed = writer.status().frames_committed

    def refresh(self, tick: int, fps: int, width: int, height: int) -> None:
        if tick % SLOW_FIGURES_EVERY:
            return
        self.timing = self.clock.live.timing()
        status = self.writer.status()
        self.recorder = asdict(status)
        self.frames_committed = status.frames_committed
        # Unpaced runs (realtime off) need not keep up with the clock.
        busy = self.clock.load.busy_p90_ms() if self.clock.realtime else None
        self.advice = loop_advice(busy, fps, width, height)


class SessionView:
    """Builds the snapshots of one session from its parts."""

    def __init__(
        self,
        config: SessionConfig,
        parts: SessionParts,
        machine: EpisodeMachine,
        counts: Counts,
        review: ReviewQueue,
    ) -> None:
        self.config = config
        self.parts = parts
        self.machine = machine
        self.counts = counts
        self.review = review
        self.figures = SlowFigures(machine.clock, parts.writer)
        self.frames_at_start = self.figures.frames_committed

    @property
    def frames_saved(self) -> int:
        """Frames of the episodes this session saved (and kept) in the dataset, as of the
        last refresh or `settle()`."""
        return max(0, self.figures.frames_committed - self.frames_at_start)

    def settle(self) -> None:
        """Count the frames committed so far (at the end: the writer closed, every commit
        landed)."""
        self.figures.frames_committed = self.parts.writer.status().frames_committed

    def live(self) -> SessionSnapshot:
        machine, config, env, counts = self.machine, self.config, self.parts.env, self.counts
        self.figures.refresh(
            machine.tick_count, config.env.fps, config.env.camera_width, config.env.camera_height
        )
        episode, recorder, evaluation = machine.episode, machine.recorder, machine.evaluation
        last = episode.last
        reset_left = 0.0
        if machine.phase is Phase.RESETTING:
            reset_left = max(0.0, machine.reset_deadline - time.monotonic())
        return SessionSnapshot(
            phase=machine.phase,
            tick=machine.tick_count,
            message=machine.message,
            task=config.env.task,
            task_text=env.task_text,
            backend=env.backend,
            device=self.parts.device.name,
            repo_id=config.dataset.repo_id,
            episode_number=machine.episode_number(),
            episodes_target=config.episodes,
            episodes_saved=counts.saved,
            dataset_episodes=counts.dataset,
            episodes_failed=counts.failed,
            episodes_errored=counts.errors,
            consecutive_failures=counts.consecutive_failures,
            episode_time_s=episode.ticks / config.env.fps,
            episode_time_limit_s=config.time_limit_s,
            reset_time_left_s=reset_left,
            frames_recorded=max(0, recorder.steps - recorder.warmup_frames),
            frames_saved=self.frames_saved,
            success=bool(last.success) if last is not None else False,
            success_streak=episode.success_streak,
            joint_names=tuple(env.joint_names),
            joint_state=tuple(float(v) for v in last.state) if last is not None else (),
            cameras=tuple(c.name for c in env.cameras),
            objects=objects_of(last),
            pending_review=tuple(self.review.pending),
            timing=self.figures.timing,
            loop_advice=self.figures.advice,
            paused=machine.pause.reason,
            device_health=asdict(self.parts.device.health()),
            evaluation=evaluation.summary if evaluation is not None else {},
            recorder=self.figures.recorder,
        )

    def final(self) -> SessionSnapshot:
        """What stays on show once the session is closed: the phase is idle, the counts and
        the message are the finished session's (its writer closed: every commit landed)."""
        machine, config, counts = self.machine, self.config, self.counts
        self.settle()
        evaluation = machine.evaluation
        return SessionSnapshot(
            phase=Phase.IDLE,
            tick=machine.tick_count,
            message=machine.final_message,
            task=config.env.task,
            backend=self.parts.env.backend,
            device=self.parts.device.name,
            repo_id=config.dataset.repo_id,
            episodes_target=config.episodes,
            episodes_saved=counts.saved,
            dataset_episodes=counts.dataset,
            episodes_failed=counts.failed,
            episodes_errored=counts.errors,
            frames_saved=self.frames_saved,
            evaluation=evaluation.summary if evaluation is not None else {},
        )


def objects_of(step: Step | None) -> dict[str, tuple[float, ...]]:
    """Task object positions (m) in the robot base frame, rounded for the page."""
    if step is None or info.OBJECT_POSITIONS not in step.info:
        return {}
    return {
        name: tuple(round(float(v), 4) for v in pos)
        for name, pos in info.positions_in_base_frame(step.info).items()
    }
