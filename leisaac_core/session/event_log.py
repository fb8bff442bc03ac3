"""The session engine's events: the last few hundred in memory, every one in a JSONL file.

A long session emits several events per episode; keeping them all in memory made the server
grow with every episode (issue 29). The page gets the recent ones live and pages older ones
back from the file (`page`), which is append-only with one event per line in `seq` order, so
an older page is found by binary search over byte offsets: nothing per event stays in memory.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import BinaryIO

from leisaac_core.session.state import Event, EventKind

log = logging.getLogger("leisaac.session")

EVENTS_KEPT = 500  # in memory, for the page's catch-up after a reconnect
LOGS_KEPT = 20  # files of earlier processes kept in the log folder
_BLOCK = 64 * 1024


def event_log_dir(dataset_root: Path) -> Path:
    """Beside the datasets, in a dot folder that the dataset listing skips."""
    return Path(dataset_root) / ".leisaac-events"


class EventLog:
    """Thread-safe; `path` None keeps the recent events only (nothing to page back)."""

    def __init__(self, path: Path | None, keep: int = EVENTS_KEPT) -> None:
        self.path = path
        self._recent: deque[Event] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._size = 0  # bytes of whole lines written (and flushed) so far
        self._file: BinaryIO | None = None
        self._opened = False  # on the first event: a process that emits none writes nothing

    def _open(self) -> None:
        self._opened = True
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _prune(self.path.parent)
            self._file = open(self.path, "ab")  # noqa: SIM115 - open for the engine's life
            self._size = self._file.tell()
        except OSError as exc:  # a read-only disk costs the history, not the session
            log.warning("event log %s not written: %s", self.path, exc)

    @classmethod
    def in_folder(cls, folder: Path, keep: int = EVENTS_KEPT) -> EventLog:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return cls(folder / f"events-{stamp}-{os.getpid()}.jsonl", keep)

    def append(self, event: Event) -> None:
        line = (json.dumps(event.to_dict(), default=str) + "\n").encode()
        with self._lock:
            self._recent.append(event)
            if not self._opened:
                self._open()
            if self._file is None:
                return
            try:
                self._file.write(line)
                self._file.flush()
                self._size += len(line)
            except OSError as exc:
                log.warning("event log %s: %s; no more events written there", self.path, exc)
                self._close_file()

    def since(self, seq: int) -> list[Event]:
        """Recent events after `seq` (those still in memory)."""
        with self._lock:
            return [e for e in self._recent if e.seq > seq]

    def recent(self) -> list[Event]:
        with self._lock:
            return list(self._recent)

    def page(self, before: int | None, limit: int) -> list[Event]:
        """Up to `limit` events with seq < `before` (None: the newest), oldest first."""
        with self._lock:
            size = self._size if self.path is not None else 0
            recent = list(self._recent)
        upper = [e for e in recent if before is None or e.seq < before]
        if len(upper) >= limit or size == 0 or (recent and recent[0].seq <= 1):
            return upper[-limit:]
        assert self.path is not None
        with open(self.path, "rb") as f:
            end = _first_offset_at(f, size, before) if before is not None else size
            return [_event(line) for line in _lines_before(f, end, limit)]

    def close(self) -> None:
        with self._lock:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _prune(folder: Path) -> None:
    logs = sorted(folder.glob("events-*.jsonl"), key=lambda p: p.stat().st_mtime)
    for old in logs[: max(0, len(logs) - (LOGS_KEPT - 1))]:
        old.unlink(missing_ok=True)


def _event(line: bytes) -> Event:
    d = json.loads(line)
    return Event(d["seq"], EventKind(d["kind"]), d["message"], d["time"], d["data"])


def _line_at_or_after(f, offset: int, size: int) -> tuple[int, float]:
    """(start offset, seq) of the first line starting at or after `offset`; (size, inf)
    when none does."""
    f.seek(max(0, offset - 1))
    if offset > 0 and f.read(1) != b"\n":
        f.readline()  # inside a line: skip to the next one
    start = f.tell()
    if start >= size:
        return size, float("inf")
    return start, json.loads(f.readline())["seq"]


def _first_offset_at(f, size: int, seq: int) -> int:
    """Byte offset of the first line whose seq >= `seq` (`size` when none): the seq of the
    first line at or after a byte offset never decreases with the offset."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        if _line_at_or_after(f, mid, size)[1] >= seq:
            hi = mid
        else:
            lo = mid + 1
    return _line_at_or_after(f, lo, size)[0]


def _lines_before(f, end: int, limit: int) -> list[bytes]:
    """The last `limit` whole lines in bytes [0, end), oldest first."""
    data = b""
    start = end
    while start > 0 and data.count(b"\n") <= limit:
        start = max(0, start - _BLOCK)
        f.seek(start)
        data = f.read(end - start)
    lines = data.split(b"\n")[:-1]  # the file ends each line with a newline
    if start > 0:
        lines = lines[1:]  # the first piece may be a line's tail
    return lines[-limit:]
