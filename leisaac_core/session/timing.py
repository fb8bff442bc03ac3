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
