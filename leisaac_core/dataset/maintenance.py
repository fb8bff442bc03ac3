"""The writers this process has open, by dataset root, for maintenance that runs beside them.

Compaction and deletion called on a dataset that this process records into must go through its
writer (the writer holds the lock and the state in memory). They find it here; the writer
registers itself on open and leaves on close. Living below the writer, compaction and editing,
it lets the imports point one way: writer -> compaction/editing -> maintenance.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class CompactionResult:
    episodes_moved: int
    files_before: int
    files_after: int


class OpenWriter(Protocol):
    """What maintenance needs from a recording writer."""

    @property
    def num_episodes(self) -> int: ...

    def wait_idle(self, timeout: float | None = None) -> bool: ...

    def compact(self, tiered: bool = False) -> concurrent.futures.Future[CompactionResult]: ...

    def delete_episodes(self, indices: Sequence[int]) -> concurrent.futures.Future[list[str]]: ...


_open: dict[Path, OpenWriter] = {}
_lock = threading.Lock()


def register(root: Path, writer: OpenWriter) -> None:
    with _lock:
        _open[Path(root).resolve()] = writer


def unregister(root: Path, writer: OpenWriter) -> None:
    """Forget `writer` (only if it is the one registered on `root`)."""
    key = Path(root).resolve()
    with _lock:
        if _open.get(key) is writer:
            del _open[key]


def open_writer_for(root: Path) -> OpenWriter | None:
    """The writer this process has open on `root`, if any."""
    with _lock:
        return _open.get(Path(root).resolve())
