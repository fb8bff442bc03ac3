"""Feature statistics in lerobot's layout: min, max, mean, std, count and q01..q99.

Per-episode stats are exact. Dataset stats aggregate them the way lerobot does (weighted
means, pooled variance, weighted mean of quantiles). `RunningStats` keeps that aggregate as
count-weighted sums, so a commit adds one episode in O(features) and a reopen seeds it from
meta/stats.json alone, without rereading any episode. Image stats are per channel, scaled to [0, 1], with
shape (3, 1, 1), computed by the encoder thread from a subsample of pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

QUANTILES: dict[str, float] = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_KEYS: tuple[str, ...] = ("min", "max", "mean", "std", "count", *QUANTILES)

Stats = dict[str, np.ndarray]


def numeric_stats(values: np.ndarray) -> Stats:
    """Stats of a (frames, dims) array over the frame axis."""
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    as_float = values.astype(np.float64)
    stats: Stats = {
        "min": values.min(axis=0),
        "max": values.max(axis=0),
        "mean": as_float.mean(axis=0),
        "std": as_float.std(axis=0),
        "count": np.array([len(values)], dtype=np.int64),
    }
    qs = np.quantile(as_float, list(QUANTILES.values()), axis=0)
    for i, key in enumerate(QUANTILES):
        stats[key] = qs[i]
    return stats


class ImageStatsAccumulator:
    """Running per-channel stats over subsampled frames (cheap enough for every Nth frame)."""

    def __init__(self, stride: int = 8) -> None:
        self.stride = stride
        self.hist = np.zeros((3, 256), dtype=np.int64)
        self.frames = 0

    def add(self, image: np.ndarray) -> None:
        sub = image[:: self.stride, :: self.stride]
        for c in range(3):
            self.hist[c] += np.bincount(sub[..., c].ravel(), minlength=256)
        self.frames += 1

    def result(self, count: int) -> Stats | None:
        """Stats with `count` = frames in the episode (lerobot weights by it)."""
        if self.frames == 0:
            return None
        levels = np.arange(256, dtype=np.float64) / 255.0
        totals = self.hist.sum(axis=1)
        mean = (self.hist * levels).sum(axis=1) / totals
        var = (self.hist * levels**2).sum(axis=1) / totals - mean**2
        present = self.hist > 0
        mins = np.array([levels[np.argmax(p)] for p in present])
        maxs = np.array([levels[255 - np.argmax(p[::-1])] for p in present])
        cdf = np.cumsum(self.hist, axis=1) / totals[:, None]
        stats: Stats = {
            "min": mins,
            "max": maxs,
            "mean": mean,
            "std": np.sqrt(np.maximum(var, 0.0)),
            "count": np.array([count], dtype=np.int64),
        }
        for key, q in QUANTILES.items():
            stats[key] = np.array([levels[np.searchsorted(cdf[c], q)] for c in range(3)])
        return {k: (v if k == "count" else v.reshape(3, 1, 1)) for k, v in stats.items()}


def aggregate(per_episode: Iterable[Stats]) -> Stats | None:
    """Combine stats of several episodes of one feature (keys present in all of them)."""
    episodes = [s for s in per_episode if s]
    if not episodes:
        return None
    keys = [k for k in STAT_KEYS if all(k in s for s in episodes)]
    counts = np.array([float(np.asarray(s["count"]).reshape(-1)[0]) for s in episodes])
    total = counts.sum()
    weights = counts / total if total > 0 else np.full(len(episodes), 1 / len(episodes))

    def weighted(key: str) -> np.ndarray:
        stacked = np.stack([np.asarray(s[key], dtype=np.float64) for s in episodes])
        return np.tensordot(weights, stacked, axes=1)

    out: Stats = {}
    if "mean" in keys:
        mean = weighted("mean")
        out["mean"] = mean
        if "std" in keys:
            second = np.tensordot(
                weights,
                np.stack(
                    [
                        np.asarray(s["std"], dtype=np.float64) ** 2
                        + (np.asarray(s["mean"], dtype=np.float64) - mean) ** 2
                        for s in episodes
                    ]
                ),
                axes=1,
            )
            out["std"] = np.sqrt(np.maximum(second, 0.0))
    if "min" in keys:
        out["min"] = np.min(np.stack([np.asarray(s["min"]) for s in episodes]), axis=0)
    if "max" in keys:
        out["max"] = np.max(np.stack([np.asarray(s["max"]) for s in episodes]), axis=0)
    out["count"] = np.array([int(total)], dtype=np.int64)
    for key in QUANTILES:
        if key in keys:
            out[key] = weighted(key)
    return {k: out[k] for k in STAT_KEYS if k in out}


@dataclass(frozen=True)
class RunningStats:
    """The aggregate of many episodes' stats of one feature, as sums that one more episode
    updates: count, sum of count*mean, sum of count*(std^2 + mean^2), sum of count*quantile,
    min and max. Immutable: `add` returns a new value (a failed commit keeps the old one)."""

    count: float
    sum_mean: np.ndarray
    sum_second: np.ndarray
    minimum: np.ndarray | None
    maximum: np.ndarray | None
    sum_quantiles: Mapping[str, np.ndarray]

    @classmethod
    def of(cls, stats: Stats) -> RunningStats | None:
        """From one episode's stats or an aggregate (e.g. meta/stats.json); None when the
        stats lack count, mean or std."""
        if not all(k in stats for k in ("count", "mean", "std")):
            return None
        count = float(np.asarray(stats["count"]).reshape(-1)[0])
        mean = np.asarray(stats["mean"], dtype=np.float64)
        std = np.asarray(stats["std"], dtype=np.float64)
        return cls(
            count=count,
            sum_mean=count * mean,
            sum_second=count * (std**2 + mean**2),
            minimum=np.asarray(stats["min"]) if "min" in stats else None,
            maximum=np.asarray(stats["max"]) if "max" in stats else None,
            sum_quantiles={
                q: count * np.asarray(stats[q], dtype=np.float64) for q in QUANTILES if q in stats
            },
        )

    def add(self, stats: Stats) -> RunningStats:
        other = RunningStats.of(stats)
        if other is None:
            return self
        return RunningStats(
            count=self.count + other.count,
            sum_mean=self.sum_mean + other.sum_mean,
            sum_second=self.sum_second + other.sum_second,
            minimum=_combine(np.minimum, self.minimum, other.minimum),
            maximum=_combine(np.maximum, self.maximum, other.maximum),
            sum_quantiles={
                q: v + other.sum_quantiles[q]
                for q, v in self.sum_quantiles.items()
                if q in other.sum_quantiles
            },
        )

    def result(self) -> Stats:
        total = self.count if self.count > 0 else 1.0
        mean = self.sum_mean / total
        out: Stats = {"mean": mean}
        out["std"] = np.sqrt(np.maximum(self.sum_second / total - mean**2, 0.0))
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        out["count"] = np.array([int(round(self.count))], dtype=np.int64)
        for q, v in self.sum_quantiles.items():
            out[q] = v / total
        return {k: out[k] for k in STAT_KEYS if k in out}


def _combine(op: Any, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    return None if a is None or b is None else op(a, b)


def to_jsonable(stats: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, Any]:
    return {
        feature: {key: np.asarray(value).tolist() for key, value in fstats.items()}
        for feature, fstats in stats.items()
    }
