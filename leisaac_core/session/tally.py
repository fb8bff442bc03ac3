"""What a session counts: its episodes so far, and what the episode under way has seen."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from leisaac_core.dataset import EpisodeMeta
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.state import LoopTiming
from leisaac_core.sim import Env, Step
from leisaac_core.teleop import Device
from leisaac_core.teleop.input_timing import InputFigures


@dataclass
class Counts:
    dataset: int  # episodes in the dataset, earlier sessions included
    saved: int = 0  # in this session
    failed: int = 0
    errors: int = 0  # episodes ended by an error (measured nothing)
    consecutive_failures: int = 0


@dataclass
class EpisodeState:
    """What one episode has seen so far; replaced at each episode's start."""

    seed: int | None = None
    ticks: int = 0  # stepped ticks, warm-up included
    success_streak: int = 0
    success_tick: int | None = None  # first recorded tick the rule held
    tail_left: int = 0
    intervention_ticks: int = 0
    last: Step | None = field(default=None, repr=False)

    def figures(self, number: int, timing: LoopTiming, starved: int | None) -> dict[str, Any]:
        """What the episode's ending event carries: its number, timing and policy figures
        (`starved`: ticks a policy waited for its server; None without a policy)."""
        figures: dict[str, Any] = {
            "episode_number": number,
            "timing": asdict(timing),
            "intervention_ticks": self.intervention_ticks,
        }
        if starved is not None:
            figures["starved_ticks"] = starved
        return figures

    def meta(
        self,
        outcome: str,
        timing: LoopTiming,
        paced: bool,
        device: Device,
        env: Env,
        config: SessionConfig,
        pauses: int = 0,
    ) -> EpisodeMeta:
        """What the episode's row says besides lerobot's columns."""
        policy = config.policy is not None
        remote = device.input_timing
        figures = remote.episode_figures() if remote is not None else InputFigures()
        return EpisodeMeta(
            outcome=outcome,
            fps_achieved=timing.achieved_fps,
            period_p99_ms=timing.period_p99_ms,
            paced=paced,
            device=device.name,
            backend=env.backend,
            seed=self.seed,
            task=env.task_text,
            note=config.episode.note,
            starved_ticks=device.starved_ticks,
            intervention_ticks=self.intervention_ticks if policy else None,
            input_age_p50_ms=figures.age_p50_ms,
            input_age_p99_ms=figures.age_p99_ms,
            input_latency_p50_ms=figures.latency_p50_ms,
            input_latency_p99_ms=figures.latency_p99_ms,
            input_clock_offset_ms=figures.clock_offset_ms,
            input_pauses=pauses if remote is not None else None,
        )


def reward_extras(step: Step, in_success_tail: bool, intervention: bool) -> dict[str, float | bool]:
    """A frame's reward features, as lerobot-eval names them: reward 1.0 while the task's rule
    holds and through the success tail."""
    return {
        "next.reward": 1.0 if step.success or in_success_tail else 0.0,
        "next.success": bool(step.success),
        "intervention": intervention,
    }
