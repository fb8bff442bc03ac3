"""File locks that work across processes and across threads of one process (flock).

- writer lock: held for a writer's whole life, so two writers never share a dataset.
- commit lock: held while a change is applied, and by readers that need a consistent view
  (snapshots for the Hub push, the dataset browser), so they never see half a commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from leisaac_core.dataset import layout
from leisaac_core.dataset.spec import DatasetBusyError


def acquire_writer_lock(root: Path) -> int:
    """Exclusive, non-blocking; returns the fd to keep open. Raises DatasetBusyError."""
    path = layout.private_dir(root) / layout.WRITER_LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DatasetBusyError(
            f"dataset {root} is open by another writer (pid {holder}); close that session "
            "first or record into another dataset"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def release_writer_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        os.close(fd)


@contextlib.contextmanager
def commit_lock(root: Path, shared: bool = False) -> Iterator[None]:
    """Blocking lock around applying (exclusive) or reading (shared) committed state."""
    path = layout.private_dir(root) / layout.COMMIT_LOCK_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if shared:  # read-only parent directory: nobody can be committing into it
            yield
            return
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
