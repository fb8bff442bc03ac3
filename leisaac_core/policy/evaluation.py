"""Evaluation reports: N episodes on fixed seeds, every outcome kept, success rate with a
Wilson score interval (sound at small N and at 0 % or 100 %, unlike the normal one).

An episode whose outcome is `error` did not measure the policy (its server unreachable, lost,
too slow or answering nonsense; the sim failing): it is counted apart and never enters the
success rate or its interval, which are over the measured episodes only."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class EpisodeOutcome:
    seed: int | None
    outcome: str  # success, failure, timeout, or error (measured nothing)
    reason: str
    ticks: int  # recorded ticks (warm-up excluded)
    time_to_success_s: float | None
    starved_ticks: int | None
    intervention_ticks: int
    # Where the rollout was saved (the dataset, or `<name>_failures` for every other outcome)
    # and the page's view of it; None when nothing was saved (ended in its warm-up).
    repo_id: str | None = None
    episode_index: int | None = None
    episode_page: str | None = None


def episode_page(repo_id: str, index: int) -> str:
    """The dashboard page's link to one episode (its Datasets view, playing it)."""
    return f"/#datasets/{repo_id}/{index}"


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 % and 100 % the bound is exactly 0 or 1 (rounding would leave 0.99999...).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


ERROR = "error"


def summarize(outcomes: Sequence[EpisodeOutcome]) -> dict[str, Any]:
    measured = [o for o in outcomes if o.outcome != ERROR]
    n = len(measured)
    k = sum(o.outcome == "success" for o in measured)
    times = sorted(o.time_to_success_s for o in measured if o.time_to_success_s is not None)
    low, high = wilson_interval(k, n)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return {
        "episodes": len(outcomes),  # run, errors included
        "measured": n,  # the success rate's denominator
        "errors": len(outcomes) - n,
        "outcomes": counts,
        "successes": k,
        "success_rate": k / n if n else None,
        "success_rate_wilson_95": [low, high],
        "time_to_success_s": {
            "mean": sum(times) / len(times),
            "median": times[len(times) // 2],
            "min": times[0],
            "max": times[-1],
        }
        if times
        else None,
        "starved_ticks": sum(o.starved_ticks or 0 for o in outcomes),
        "intervention_ticks": sum(o.intervention_ticks for o in outcomes),
    }


def report_path(dataset_root: Path, now: dt.datetime | None = None) -> Path:
    """`<parent>/<name>_eval_<UTC time>.json`, next to the dataset directory."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    root = Path(dataset_root)
    return root.parent / f"{root.name}_eval_{stamp}.json"


def write_report(
    path: Path, outcomes: Sequence[EpisodeOutcome], context: Mapping[str, Any]
) -> dict[str, Any]:
    report = {
        **context,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "summary": summarize(outcomes),
        "per_seed": [asdict(o) for o in outcomes],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, path)
    return report


def format_summary(summary: Mapping[str, Any]) -> str:
    low, high = summary["success_rate_wilson_95"]
    rate, errors = summary["success_rate"], summary["errors"]
    if rate is None and errors:
        text = "no episode measured the policy"
    else:
        text = f"success {summary['successes']}/{summary['measured']}" + (
            f" = {rate:.0%} (95% Wilson {low:.0%}..{high:.0%})" if rate is not None else ""
        )
    if summary["time_to_success_s"]:
        text += f", time to success median {summary['time_to_success_s']['median']:.1f} s"
    text += f", starved ticks {summary['starved_ticks']}"
    if errors:
        text += (
            f"; {errors} error{'s' if errors != 1 else ''} (the policy was not measured: "
            "not in the rate)"
        )
    return text
