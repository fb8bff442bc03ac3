"""What the runner shows of itself: the figures of a snapshot that cost a sort or a lock
(refreshed every few ticks, not every tick) and conversions of a step for the page."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from leisaac_core.dataset import DatasetWriter
from leisaac_core.session.state import FrameSet, LoopTiming
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

    def refresh(self, tick: int, fps: int, width: int, height: int) -> None:
        if tick % SLOW_FIGURES_EVERY:
            return
        self.timing = self.clock.live.timing()
        self.recorder = asdict(self.writer.status())
        # Unpaced runs (realtime off) need not keep up with the clock.
        busy = self.clock.load.busy_p90_ms() if self.clock.realtime else None
        self.advice = loop_advice(busy, fps, width, height)


def objects_of(step: Step | None) -> dict[str, tuple[float, ...]]:
    """Task object positions (m) in the robot base frame, rounded for the page."""
    if step is None or info.OBJECT_POSITIONS not in step.info:
        return {}
    return {
        name: tuple(round(float(v), 4) for v in pos)
        for name, pos in info.positions_in_base_frame(step.info).items()
    }


def frames_of(tick: int, step: Step) -> FrameSet:
    return FrameSet(tick=tick, time=time.time(), images=step.images)
