"""The end of a session: datasets packed into lerobot-sized files, then every part closed,
each failure collected as a sentence instead of stopping the others."""

from __future__ import annotations

import logging
from collections.abc import Callable

from leisaac_core.dataset import DatasetWriter
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind

log = logging.getLogger("leisaac.session")


def pack_datasets(outlet: SessionOutlet, writers: list[DatasetWriter]) -> list[str]:
    """Pack each writer that needs it, with progress shown; recording is over, so the wait
    costs no frame. Returns the errors (every saved episode is kept on any of them)."""
    errors: list[str] = []
    for writer in writers:
        if not writer.needs_packing:
            continue
        repo = writer.spec.repo_id
        outlet.emit(EventKind.DATASET_PACKING, f"packing {repo} into lerobot-sized files")
        try:
            result = writer.pack()
        except Exception as exc:
            errors.append(f"packing {repo} failed (every saved episode is kept): {exc}")
            log.exception("packing %s failed", repo)
            continue
        outlet.emit(
            EventKind.DATASET_PACKED,
            f"{repo} packed: {result.files_before} files -> {result.files_after}",
            repo_id=repo,
            files_before=result.files_before,
            files_after=result.files_after,
        )
    return errors


def close_all(parts: list[tuple[str, Callable[[], None]]]) -> list[str]:
    """Call each (name, close) in order; a failure is logged and returned, the rest still run."""
    errors: list[str] = []
    for name, close in parts:
        try:
            close()
        except Exception as exc:
            errors.append(f"closing the {name} failed: {exc}")
            log.exception("closing the %s failed", name)
    return errors
