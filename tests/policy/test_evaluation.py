"""Wilson score interval and the evaluation summary; episodes that ended by an error (they
did not measure the policy) are counted apart, never in the rate or its interval."""

from __future__ import annotations

import pytest

from leisaac_core.policy.evaluation import (
    EpisodeOutcome,
    format_summary,
    summarize,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (10, 10, 0.7225, 1.0),  # reference values of the Wilson score interval, z = 1.96
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (8, 10, 0.4902, 0.9433),
    ],
)
def test_wilson_interval(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_summary_counts_outcomes_and_times() -> None:
    outcomes = [
        EpisodeOutcome(0, "success", "success detected", 100, 3.0, 0, 0),
        EpisodeOutcome(1, "timeout", "time limit", 600, None, 2, 0),
        EpisodeOutcome(2, "success", "success detected", 130, 4.0, 1, 12),
    ]
    s = summarize(outcomes)
    assert (s["episodes"], s["successes"]) == (3, 2)
    assert s["success_rate"] == pytest.approx(2 / 3)
    assert s["time_to_success_s"]["min"] == 3.0 and s["time_to_success_s"]["max"] == 4.0
    assert s["starved_ticks"] == 3 and s["intervention_ticks"] == 12
    assert summarize([])["success_rate"] is None


def test_errors_are_counted_apart_from_the_rate() -> None:
    outcomes = [
        EpisodeOutcome(0, "success", "success detected", 100, 3.0, 0, 0),
        EpisodeOutcome(1, "error", "policy server ws://h:1: connection lost", 40, None, 0, 0),
        EpisodeOutcome(2, "failure", "marked failed", 90, None, 0, 0),
        EpisodeOutcome(3, "error", "policy server ws://h:1: cannot connect", 0, None, 0, 0),
    ]
    s = summarize(outcomes)
    assert (s["episodes"], s["measured"], s["errors"], s["successes"]) == (4, 2, 2, 1)
    assert s["success_rate"] == 0.5
    assert s["success_rate_wilson_95"] == list(wilson_interval(1, 2))
    assert s["outcomes"] == {"success": 1, "error": 2, "failure": 1}
    assert format_summary(s).startswith("success 1/2 = 50% (95% Wilson 9%..91%)")
    assert format_summary(s).endswith("; 2 errors (the policy was not measured: not in the rate)")


def test_an_evaluation_of_errors_only_has_no_rate() -> None:
    s = summarize([EpisodeOutcome(0, "error", "cannot connect", 0, None, None, 0)])
    assert (s["measured"], s["errors"], s["success_rate"]) == (0, 1, None)
    text = format_summary(s)
    assert text.startswith("no episode measured the policy") and "0%" not in text
