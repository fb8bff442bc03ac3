"""A redo journal that makes a multi-file change atomic.

A change (an episode commit, a deletion, a compaction, a merge) first writes every new file
under a temp name in the dataset's private folder, then writes the journal: the list of
renames (temp -> final) and removals. The journal's own atomic rename is the commit point.
Applying it is idempotent, so when a crash interrupts the renames the next open simply
applies it again (roll forward). Without a journal, any temp file is a change that never
committed and is removed.

Temp names in the journal are relative to the private folder, final names relative to the
dataset folder (see layout.private_dir).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from leisaac_core.dataset import layout
from leisaac_core.dataset.fsutil import (
    fsync_dir,
    json_bytes,
    unique_tmp_name,
    write_bytes_durable,
)


@dataclass
class Transaction:
    """Collects staged files and removals for one atomic change of a dataset directory."""

    root: Path
    description: str
    renames: list[tuple[str, str]] = field(default_factory=list)  # (tmp rel, final rel)
    removals: list[str] = field(default_factory=list)

    @property
    def private(self) -> Path:
        return layout.private_dir(self.root)

    def stage_path(self, final_rel: str) -> Path:
        """A temp path to write the future content of `final_rel` to (caller fsyncs it)."""
        suffix = "".join(Path(final_rel).suffixes) or ".bin"
        tmp = unique_tmp_name(layout.tmp_dir(self.root), "stage", suffix)
        self.adopt(tmp, final_rel)
        return tmp

    def adopt(self, tmp_path: Path, final_rel: str) -> None:
        """Take an already written (and fsynced) temp file as the future `final_rel`."""
        tmp_rel = os.path.relpath(tmp_path, self.private)
        if tmp_rel.startswith(".."):
            raise ValueError(f"temp file {tmp_path} is outside {self.private}")
        self.renames = [(t, f) for t, f in self.renames if f != final_rel]
        self.renames.append((tmp_rel, final_rel))

    def stage_bytes(self, final_rel: str, data: bytes) -> None:
        write_bytes_durable(self.stage_path(final_rel), data)

    def remove(self, final_rel: str) -> None:
        self.removals.append(final_rel)

    def commit(self) -> None:
        """Make the change durable (commit point), then apply it and drop the journal."""
        targets = {f for _, f in self.renames}
        clash = targets.intersection(self.removals)
        if clash:
            raise RuntimeError(f"transaction both writes and removes {sorted(clash)}")
        fsync_dir(layout.tmp_dir(self.root))
        journal = {
            "description": self.description,
            "renames": self.renames,
            "removals": self.removals,
        }
        tmp = unique_tmp_name(layout.tmp_dir(self.root), "journal", ".json")
        write_bytes_durable(tmp, json_bytes(journal))
        os.replace(tmp, layout.journal_path(self.root))
        fsync_dir(self.private)
        apply_journal(self.root)


def _apply(path: Path, tmp_base: Path, root: Path) -> str | None:
    if not path.exists():
        return None
    journal = json.loads(path.read_text())
    touched: set[Path] = set()
    for tmp_rel, final_rel in journal["renames"]:
        tmp, final = tmp_base / tmp_rel, root / final_rel
        if tmp.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            touched.add(final.parent)
    for rel in journal["removals"]:
        target = root / rel
        if target.exists():
            target.unlink()
            touched.add(target.parent)
    for d in touched:
        fsync_dir(d)
    path.unlink()
    fsync_dir(path.parent)
    return str(journal.get("description", "a change"))


def apply_journal(root: Path) -> str | None:
    """Apply a pending journal if there is one; returns its description (None if none)."""
    return _apply(layout.journal_path(root), layout.private_dir(root), root)


def retire_legacy_private_dir(root: Path) -> str | None:
    """Finish a change journaled by an older version inside `<root>/.leisaac/` (its temp
    names are relative to the dataset folder), then remove that folder; returns what was
    done. The caller holds the writer lock."""
    legacy = root / layout.LEGACY_PRIVATE_DIR
    if not legacy.is_dir():
        return None
    desc = _apply(legacy / layout.JOURNAL_NAME, root, root)
    shutil.rmtree(legacy)
    fsync_dir(root)
    done = f"moved bookkeeping out of the dataset folder (removed {legacy.name}/)"
    return f"finished an interrupted change: {desc}; {done}" if desc else done
