"""Bring a dataset back to its last committed state after a crash, and say what was done.

Order: finish an interrupted commit from its journal (roll forward), delete partial files of
the episode that was in progress, then remove files no committed episode references.
"""

from __future__ import annotations

import logging
from pathlib import Path

from leisaac_core.dataset import layout
from leisaac_core.dataset.journal import apply_journal, retire_legacy_private_dir
from leisaac_core.dataset.state import DatasetState

log = logging.getLogger(__name__)


class DatasetCorruptError(RuntimeError):
    """Committed metadata points at files that are gone (not something a crash causes)."""


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def repair(root: Path) -> list[str]:
    """Repair `root` in place (the caller holds the writer lock); returns what was repaired."""
    repairs: list[str] = []
    if (legacy := retire_legacy_private_dir(root)) is not None:
        repairs.append(legacy)
    if (desc := apply_journal(root)) is not None:
        repairs.append(f"finished an interrupted change: {desc}")
    tmp_dir = layout.tmp_dir(root)
    if tmp_dir.is_dir():
        partial = [p for p in tmp_dir.iterdir() if p.is_file()]
        if partial:
            size = sum(p.stat().st_size for p in partial)
            for p in partial:
                p.unlink()
            repairs.append(
                f"removed {len(partial)} partial file(s) ({_mib(size)}) of an episode that "
                "was being recorded or saved when the process stopped; it was never committed"
            )
    if layout.is_dataset(root):
        try:
            state = DatasetState.load(root)
        except Exception as exc:
            raise DatasetCorruptError(
                f"cannot read the metadata of {root}: {exc}. If lerobot's own recorder crashed "
                "before finalize(), its parquet files lack a footer and cannot be repaired here."
            ) from exc
        referenced = set(state.referenced_files())
        missing = sorted(f for f in referenced if not (root / f).exists())
        # stats/episodes files are absent only in a dataset without episodes
        missing = [f for f in missing if state.rows or f not in (layout.STATS_PATH,)]
        if missing:
            raise DatasetCorruptError(
                f"{root}: committed episodes reference missing files {missing[:5]}"
                f"{' ...' if len(missing) > 5 else ''}; restore them or delete those episodes"
            )
        orphans = [
            p
            for top in ("data", "videos", layout.EPISODES_DIR)
            for p in sorted((root / top).rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() not in referenced
        ]
        if orphans:
            size = sum(p.stat().st_size for p in orphans)
            for p in orphans:
                p.unlink()
            repairs.append(
                f"removed {len(orphans)} file(s) ({_mib(size)}) that no committed episode uses: "
                + ", ".join(p.relative_to(root).as_posix() for p in orphans[:5])
            )
    for message in repairs:
        log.warning("dataset %s repaired: %s", root, message)
    return repairs
