"""Loop period statistics: measured every tick, never hidden."""

from __future__ import annotations

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
