"""Bring a dataset back to its last committed state after a crash, and say what was done.

Order: finish an interrupted commit from its journal (roll forward), delete partial files of
the episode that was in progress, then remove files no committed episode references.
"""

from __future__ import annotations

import logging
import os
import shutil
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
    # Work folders of a merge into `root` that was killed (`merge-*`, see merge.py; an older
    # version's source snapshots `sources-*`): never part of the dataset.
    private = layout.private_dir(root)
    leftovers = sorted([*private.glob("merge-*"), *private.glob("sources-*")])
    for leftover in leftovers:
        shutil.rmtree(leftover, ignore_errors=True)
    if leftovers:
        repairs.append(
            f"removed the work folder(s) of {len(leftovers)} merge(s) into this dataset that "
            "were stopped before they finished: " + ", ".join(p.name for p in leftovers)
        )
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
        missing = [rel for rel in _last_episode_files(state) if not (root / rel).exists()]
        if missing:
            raise DatasetCorruptError(
                f"{root}: the last committed episode references missing files {missing}; "
                "restore them or delete that episode"
            )
        orphans = _files_after_last_slot(root, state)
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


def _last_episode_files(state: DatasetState) -> list[str]:
    if state.tail is None or state.tail.num_rows == 0:
        return []
    last = state.tail.slice(state.tail.num_rows - 1).to_pylist()[0]
    files = [layout.data_path(last["data/chunk_index"], last["data/file_index"])]
    for key in state.video_keys:
        if last.get(f"videos/{key}/chunk_index") is not None:
            files.append(
                layout.video_path(
                    key, last[f"videos/{key}/chunk_index"], last[f"videos/{key}/file_index"]
                )
            )
    return files


def _files_after_last_slot(root: Path, state: DatasetState) -> list[Path]:
    """Files in the data, video and episodes folders past the last slot the metadata uses.
    Commits only ever add files through the journal, so none should exist; checking the
    newest chunk folders only keeps a reopen bounded."""
    folders = [(root / "data", state.next_data_slot)]
    folders += [
        (root / "videos" / key, state.next_video_slots.get(key, 0)) for key in state.video_keys
    ]
    folders.append((root / layout.EPISODES_DIR, state.tail_slot + 1))
    out = []
    for folder, next_slot in folders:
        if not folder.is_dir():
            continue
        chunks = sorted(p for p in folder.iterdir() if p.name.startswith("chunk-"))
        for chunk in chunks[-2:]:
            try:
                chunk_index = int(chunk.name.removeprefix("chunk-"))
            except ValueError:
                continue
            with os.scandir(chunk) as entries:  # names and types only: no stat per file
                for entry in entries:
                    name = entry.name
                    if not name.startswith("file-"):
                        continue
                    try:
                        file_index = int(name[5:].split(".", 1)[0])
                    except ValueError:
                        continue
                    slot = layout.chunk_file_to_slot(chunk_index, file_index)
                    if slot >= next_slot and entry.is_file():
                        out.append(Path(entry.path))
    return sorted(out)
