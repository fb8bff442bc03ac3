"""What leaves the worker thread: phases, events and snapshots (all immutable)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class Phase(StrEnum):
    IDLE = "idle"  # no session: no env, no device, no dataset open
    STARTING = "starting"  # building env, connecting device, opening the dataset
    WARMUP = "warmup"  # first ticks after a reset, not recorded
    RECORDING = "recording"
    SUCCESS_TAIL = "success_tail"  # extra ticks recorded after success was decided
    RESETTING = "resetting"  # timed reset period for the operator between episodes
    # Review mode, target reached: the last saved episodes await keep or discard (a discard
    # records one more episode); the session ends when none is left.
    REVIEWING = "reviewing"
    ERROR = "error"  # device or env failed; a `reset` command recovers


# Phases in which an episode is under way and success/failure/rerecord make sense.
EPISODE_PHASES = frozenset({Phase.WARMUP, Phase.RECORDING, Phase.SUCCESS_TAIL})


class EventKind(StrEnum):
    """Every kind of event a session emits (the page reads this list from the server)."""

    SESSION_STARTING = "session_starting"
    # A checkpoint policy: its server, a child process of the session, loading and listening.
    POLICY_SERVER_STARTING = "policy_server_starting"
    POLICY_SERVER_READY = "policy_server_ready"
    SESSION_STARTED = "session_started"
    SESSION_FINISHED = "session_finished"  # reached its episodes (or stopped itself)
    SESSION_STOPPED = "session_stopped"  # stopped by the operator or the server
    SESSION_ERROR = "session_error"
    DATASET_REPAIRED = "dataset_repaired"
    DATASET_PACKING = "dataset_packing"
    DATASET_PACKED = "dataset_packed"
    EPISODE_STARTED = "episode_started"
    RECORDING_STARTED = "recording_started"  # warm-up over
    SUCCESS_DETECTED = "success_detected"
    SUCCESS_TAIL_STARTED = "success_tail_started"
    EPISODE_SUCCEEDED = "episode_succeeded"  # saving
    EPISODE_SAVED = "episode_saved"  # committed
    EPISODE_SAVE_FAILED = "episode_save_failed"
    EPISODE_FAILURE = "episode_failure"
    EPISODE_TIMEOUT = "episode_timeout"
    # The episode did not measure the task or the policy (policy server unreachable, lost,
    # too slow or answering nonsense; a device or the sim failing): never a failure.
    EPISODE_ERROR = "episode_error"
    EPISODE_DISCARDED = "episode_discarded"
    EPISODE_PAUSED = "episode_paused"  # the device's input went stale: the arm holds
    EPISODE_RESUMED = "episode_resumed"
    EPISODE_KEPT = "episode_kept"  # after review
    EPISODE_DISCARDED_AFTER_REVIEW = "episode_discarded_after_review"
    REVIEW_WAITING = "review_waiting"  # target reached, the last episodes await review
    RESET_STARTED = "reset_started"
    RECOVERING = "recovering"
    RECOVERED = "recovered"
    EVALUATION_PROGRESS = "evaluation_progress"
    EVALUATION_REPORT = "evaluation_report"
    PUSH_STARTED = "push_started"
    PUSH_PROGRESS = "push_progress"
    PUSH_FINISHED = "push_finished"
    PUSH_FAILED = "push_failed"


@dataclass(frozen=True)
class Event:
    """One thing that happened, in order: `seq` increases by one per event."""

    seq: int
    kind: EventKind
    message: str
    time: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoopTiming:
    """Honest timing of the control loop over the current episode (or the last second)."""

    target_fps: float
    achieved_fps: float
    period_p50_ms: float
    period_p99_ms: float
    jitter_ms: float
    overruns: int


@dataclass(frozen=True)
class SessionSnapshot:
    """The whole visible state of the session at one tick. Once a session is over (phase
    idle with a repo_id) its figures stay: the last session's counts and message."""

    phase: Phase
    tick: int
    message: str = ""
    task: str | None = None
    task_text: str | None = None
    backend: str | None = None
    device: str | None = None
    repo_id: str | None = None
    episode_number: int = 0  # 1-based number of the episode under way in this session
    episodes_target: int = 0
    episodes_saved: int = 0  # in this session
    dataset_episodes: int = 0  # in the dataset, earlier sessions included
    episodes_failed: int = 0
    episodes_errored: int = 0  # ended by an error: measured nothing (see EventKind.EPISODE_ERROR)
    consecutive_failures: int = 0
    episode_time_s: float = 0.0
    episode_time_limit_s: float = 0.0
    reset_time_left_s: float = 0.0
    frames_recorded: int = 0  # in the episode under way
    frames_saved: int = 0  # in this session's saved episodes (the dataset, not the failures)
    success: bool = False  # the task's rule on the last tick
    success_streak: int = 0
    joint_names: tuple[str, ...] = ()
    joint_state: tuple[float, ...] = ()
    cameras: tuple[str, ...] = ()
    # Task object positions (m) in the robot base frame: privileged scene facts for scripts
    # and tests (never recorded), as a person would read them off the camera.
    objects: dict[str, tuple[float, ...]] = field(default_factory=dict)
    # Dataset indices of this session's saved episodes awaiting keep/discard (review mode).
    pending_review: tuple[int, ...] = ()
    timing: LoopTiming | None = None
    # Non-empty when the ticks' own work nearly fills the period: what to lower, in words.
    loop_advice: str = ""
    # Non-empty while the episode is paused for the device's input (a quiet remote leader).
    paused: str = ""
    device_health: dict[str, Any] = field(default_factory=dict)
    recorder: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)  # running success rate

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FrameSet:
    """The newest camera frames; arrays are never mutated after publication."""

    tick: int
    time: float
    images: Mapping[str, np.ndarray]
