"""A consistent, immutable copy of a dataset's committed files for the Hub push.

Committed files are never modified in place (changes replace them by rename), so hard links
taken under the commit lock form a snapshot that no later commit can alter, at no copy cost.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from leisaac_core.dataset import layout, locks
from leisaac_core.dataset.journal import apply_journal
from leisaac_core.dataset.state import referenced_files


def snapshot_committed(dataset_dir: Path | str, dest: Path | str) -> list[Path]:
    """Hard-link (or copy across filesystems) every committed file into `dest`."""
    root, dest = Path(dataset_dir), Path(dest)
    if not layout.is_dataset(root):
        raise FileNotFoundError(f"no LeRobot dataset at {root}")
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"snapshot destination {dest} is not empty")
    out: list[Path] = []
    with locks.commit_lock(root):
        # A journal here belongs to a crashed process (live commits hold this lock).
        apply_journal(root)
        for rel in referenced_files(root):
            src, dst = root / rel, dest / rel
            if not src.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
                shutil.copy2(src, dst)
            out.append(dst)
    return out
