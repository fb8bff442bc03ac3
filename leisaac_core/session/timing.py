"""Loop period statistics: measured every tick, never hidden."""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from leisaac_core.session.state import LoopTiming


class PeriodMeter:
    """Keeps the last `max_samples` periods and counts overruns since the last restart.

    An overrun is a tick whose period exceeded the target by more than half a period: the
    loop could not keep the dataset rate at that instant.
    """

    def __init__(self, target_fps: float, max_samples: int = 100_000) -> None:
        self.target_fps = target_fps
        self._target = 1.0 / target_fps
        self._periods: deque[float] = deque(maxlen=max_samples)
        self._last: float | None = None
        self.overruns = 0

    def restart(self) -> None:
        self._periods.clear()
        self._last = None
        self.overruns = 0

    def tick(self, now: float) -> None:
        if self._last is not None:
            period = now - self._last
            self._periods.append(period)
            if period > 1.5 * self._target:
                self.overruns += 1
        self._last = now

    def timing(self) -> LoopTiming:
        periods = list(self._periods)
        if not periods:
            return LoopTiming(self.target_fps, 0.0, 0.0, 0.0, 0.0, self.overruns)
        arr = np.asarray(periods)
        mean = float(arr.mean())
        return LoopTiming(
            target_fps=self.target_fps,
            achieved_fps=1.0 / mean if mean > 0 else 0.0,
            period_p50_ms=float(np.percentile(arr, 50) * 1e3),
            period_p99_ms=float(np.percentile(arr, 99) * 1e3),
            jitter_ms=float(arr.std() * 1e3),
            overruns=self.overruns,
        )


class LoadMeter:
    """How much of each period the tick's own work takes (device, env, recorder), over the
    last few seconds: it shows a machine that cannot hold the fps before the overruns do."""

    def __init__(self, period_s: float, max_samples: int = 90) -> None:
        self.period_s = period_s
        self._busy: deque[float] = deque(maxlen=max_samples)

    def add(self, busy_s: float) -> None:
        self._busy.append(busy_s)

    def busy_p90_ms(self) -> float | None:
        """None until the window is full (the first ticks after a reset are unrepresentative)."""
        if len(self._busy) < (self._busy.maxlen or 0):
            return None
        return float(np.percentile(np.asarray(self._busy), 90) * 1e3)


class LoopClock:
    """Paces the loop at the fps when asked, and measures every tick: per episode (stored
    with it) and over a rolling window for the page, which never restarts, so a new episode
    does not look like a stalled loop."""

    def __init__(self, fps: int, realtime: bool) -> None:
        self.realtime = realtime
        self.period = 1.0 / fps
        self.episode = PeriodMeter(fps)
        self.live = PeriodMeter(fps, max_samples=300)
        self.load = LoadMeter(self.period)
        self._next_deadline = 0.0

    def start_tick(self, paced: bool) -> float:
        """Wait for the tick's deadline (when `paced`), then count the tick; returns its start."""
        now = time.perf_counter()
        if paced:
            if self._next_deadline > now:
                time.sleep(self._next_deadline - now)
            # After an overrun the schedule restarts from now instead of bursting to catch up.
            self._next_deadline = max(self._next_deadline + self.period, time.perf_counter())
        started = time.perf_counter()
        self.episode.tick(started)
        self.live.tick(started)
        return started

    def end_tick(self, started: float) -> None:
        self.load.add(time.perf_counter() - started)

    def encoder_wait_s(self) -> float | None:
        """How long this tick may wait for a busy video encoder: unpaced, as long as it takes
        (no frame is ever dropped); paced, until the next tick is due (a drop only where
        waiting would break the period)."""
        if not self.realtime:
            return None
        return max(0.0, self._next_deadline - time.perf_counter())


def loop_advice(busy_p90_ms: float | None, fps: int, width: int, height: int) -> str:
    """A plain warning with what to lower when ticks need more than 90 % of the period."""
    period_ms = 1e3 / fps
    if busy_p90_ms is None or busy_p90_ms <= 0.9 * period_ms:
        return ""
    holdable_fps = max(1, int(0.9 * 1e3 / busy_p90_ms))
    return (
        f"This machine cannot hold {fps} fps with {width}x{height} cameras: a tick takes "
        f"{busy_p90_ms:.0f} ms of the {period_ms:.0f} ms period, so episodes will record "
        f"jittery, dropped timing. Stop and lower the camera size (try {width // 2}x{height // 2}) "
        f"or the fps (about {holdable_fps} holds), or close other programs."
    )
