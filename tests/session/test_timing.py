"""Loop timing figures: what the dashboard shows and each episode stores."""

from __future__ import annotations

import pytest

from leisaac_core.session.timing import LoadMeter, PeriodMeter, loop_advice


def test_periods_percentiles_and_overruns() -> None:
    meter = PeriodMeter(target_fps=10)
    t = 0.0
    for period in [0.1] * 98 + [0.2, 0.1]:  # one tick of 200 ms: an overrun at 10 fps
        meter.tick(t)
        t += period
    meter.tick(t)
    timing = meter.timing()
    assert timing.overruns == 1
    assert timing.period_p50_ms == pytest.approx(100.0)
    assert timing.period_p99_ms > 100.0
    assert timing.achieved_fps == pytest.approx(100 / t, rel=1e-6)


def test_restart_forgets_the_last_episode_and_the_window_is_bounded() -> None:
    meter = PeriodMeter(target_fps=30, max_samples=5)
    for i in range(20):
        meter.tick(i * 0.5)  # every tick an overrun at 30 fps
    assert meter.timing().period_p50_ms == pytest.approx(500.0)
    assert meter.overruns == 19
    meter.restart()
    assert meter.timing().achieved_fps == 0.0 and meter.timing().overruns == 0
    meter.tick(100.0)
    meter.tick(100.0 + 1 / 30)
    assert meter.timing().achieved_fps == pytest.approx(30.0)


def test_load_meter_speaks_only_with_a_full_window() -> None:
    meter = LoadMeter(period_s=1 / 30, max_samples=10)
    for _ in range(9):
        meter.add(0.050)
    assert meter.busy_p90_ms() is None
    meter.add(0.050)
    assert meter.busy_p90_ms() == pytest.approx(50.0)


def test_loop_advice_names_what_to_lower() -> None:
    assert loop_advice(None, 30, 640, 480) == ""
    assert loop_advice(29.0, 30, 640, 480) == ""  # 87 % of the 33 ms period: holds
    advice = loop_advice(45.0, 30, 640, 480)
    assert "cannot hold 30 fps with 640x480 cameras" in advice
    assert "45 ms of the 33 ms period" in advice
    assert "try 320x240" in advice and "about 20 holds" in advice
