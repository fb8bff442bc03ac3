"""How far a long dataset operation (merge, compaction; replay above this layer) has got, for
a surface to show: the step under way and `done` of `total` of its unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    step: str  # what is being done: "merging", "packing", "replaying"...
    done: int
    total: int
    unit: str  # what is counted: "datasets", "files", "frames"


ProgressFn = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default listener: nobody is watching."""
