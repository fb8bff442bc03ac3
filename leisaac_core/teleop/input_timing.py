"""How old the input is that a tick acts on, when that input crossed a network.

A remote leader's samples and a browser's keys are stamped with the sender's clock when
they are made; the sender estimates its clock's offset from the server's (`ClockOffset`,
from round trips) and says so. The server then knows, in its own clock:

- one-way latency: when a sample arrived minus when it was made;
- age: when a tick used a sample minus when it was made (latency plus the wait for the
  tick).

`InputTiming` keeps both over the episode (stored with it) and over the last few seconds
(for the health panel). Worker thread only.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

LIVE_SAMPLES = 300  # ~10 s at 30 Hz


class ClockOffset:
    """The offset of a remote clock from ours, as NTP estimates it: a round trip sent at our
    t0, stamped `remote` by the other side and back at our t1 gives offset = remote -
    (t0 + t1) / 2, wrong by at most half the round trip. Of the last `window` round trips
    the one with the smallest round trip wins (queueing only ever adds delay)."""

    def __init__(self, window: int = 16) -> None:
        self._trips: deque[tuple[float, float]] = deque(maxlen=window)  # (rtt, offset)

    def add(self, t0: float, remote: float, t1: float) -> None:
        rtt = t1 - t0
        if rtt < 0:
            return  # our clock stepped backwards mid-trip: no information
        self._trips.append((rtt, remote - (t0 + t1) / 2))

    @property
    def offset_s(self) -> float | None:
        return min(self._trips)[1] if self._trips else None

    @property
    def rtt_s(self) -> float | None:
        return min(self._trips)[0] if self._trips else None


@dataclass(frozen=True)
class InputFigures:
    """An episode's input timing as stored with it (ms; None where nothing was measured)."""

    age_p50_ms: float | None = None
    age_p99_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    clock_offset_ms: float | None = None


def _percentile_ms(values: list[float] | deque[float], q: float) -> float | None:
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values), q)) * 1e3, 3)


class InputTiming:
    def __init__(self) -> None:
        self._ages: list[float] = []
        self._latencies: list[float] = []
        self._live_ages: deque[float] = deque(maxlen=LIVE_SAMPLES)
        self._live_latencies: deque[float] = deque(maxlen=LIVE_SAMPLES)
        self.clock_offset_s: float | None = None
        self.rtt_s: float | None = None
        self.last_arrival: float | None = None  # time.monotonic() of the newest input used

    def restart(self) -> None:
        """A new episode: its figures start empty (the live window goes on)."""
        self._ages = []
        self._latencies = []

    def used(self, age_s: float) -> None:
        """A tick acted on an input made `age_s` ago."""
        self._ages.append(age_s)
        self._live_ages.append(age_s)

    def arrived(self, latency_s: float, at_monotonic: float) -> None:
        """An input reached the server `latency_s` after it was made, at `at_monotonic`."""
        self._latencies.append(latency_s)
        self._live_latencies.append(latency_s)
        self.last_arrival = at_monotonic

    def quiet_ms(self) -> float | None:
        """How long since the newest input used arrived."""
        if self.last_arrival is None:
            return None
        return round((time.monotonic() - self.last_arrival) * 1e3, 1)

    def episode_figures(self) -> InputFigures:
        offset = self.clock_offset_s
        return InputFigures(
            age_p50_ms=_percentile_ms(self._ages, 50),
            age_p99_ms=_percentile_ms(self._ages, 99),
            latency_p50_ms=_percentile_ms(self._latencies, 50),
            latency_p99_ms=_percentile_ms(self._latencies, 99),
            clock_offset_ms=None if offset is None else round(offset * 1e3, 3),
        )

    def live_figures(self) -> dict[str, float | None]:
        """For the health panel: the last few seconds."""
        return {
            "input_age_ms_p50": _percentile_ms(self._live_ages, 50),
            "input_age_ms_p99": _percentile_ms(self._live_ages, 99),
            "input_latency_ms_p50": _percentile_ms(self._live_latencies, 50),
            "input_latency_ms_p99": _percentile_ms(self._live_latencies, 99),
            "clock_offset_ms": None
            if self.clock_offset_s is None
            else round(self.clock_offset_s * 1e3, 3),
            "rtt_ms": None if self.rtt_s is None else round(self.rtt_s * 1e3, 3),
        }
