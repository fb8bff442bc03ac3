"""The local side of a push: a consistent snapshot of committed files, and their hashes.

A push never reads the live dataset directory: the recorder may be committing an episode. It
reads a snapshot that `leisaac_core.dataset.snapshot_committed` takes under the commit lock
(so it waits for a commit in flight; hard links, so it costs no copy), and hashes files once per (inode, size, mtime) per process so
"push every N episodes" does not re-hash unchanged videos each time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leisaac_core.hub.errors import LocalDatasetError

_CHUNK = 1024 * 1024
_hash_cache: dict[tuple[int, int, int, int], tuple[str, str]] = {}
_hash_cache_lock = threading.Lock()
_HASH_CACHE_MAX = 50_000


@dataclass(frozen=True)
class LocalFile:
    """One file to push: where it is, where it goes, and the two ids the Hub compares."""

    path_in_repo: str
    local_path: Path
    size: int
    sha256: str  # LFS / Xet files are identified by this
    git_oid: str  # regular (inline) files by their git blob id


def hash_file(path: Path) -> tuple[str, str]:
    """(sha256, git blob sha1) of a file in one read, cached by identity and mtime."""
    st = path.stat()
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _hash_cache_lock:
        cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    sha256 = hashlib.sha256()
    git = hashlib.sha1(b"blob %d\0" % st.st_size)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            sha256.update(chunk)
            git.update(chunk)
    result = (sha256.hexdigest(), git.hexdigest())
    with _hash_cache_lock:
        if len(_hash_cache) >= _HASH_CACHE_MAX:
            _hash_cache.clear()
        _hash_cache[key] = result
    return result


def describe_files(root: Path, paths: list[Path]) -> list[LocalFile]:
    """LocalFile for each path under `root`, sorted by repo path."""
    files = []
    for path in paths:
        path = path if path.is_absolute() else root / path
        rel = path.relative_to(root).as_posix()
        sha256, git_oid = hash_file(path)
        files.append(LocalFile(rel, path, path.stat().st_size, sha256, git_oid))
    return sorted(files, key=lambda f: f.path_in_repo)


def read_info(dataset_dir: Path) -> dict[str, Any]:
    """meta/info.json, checked to be a LeRobot v3 dataset."""
    info_path = dataset_dir / "meta" / "info.json"
    if not info_path.is_file():
        raise LocalDatasetError(
            f"{dataset_dir} is not a LeRobot dataset: {info_path} is missing. Point --root at "
            "the dataset directory (the one that contains meta/, data/ and videos/)."
        )
    try:
        info = json.loads(info_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise LocalDatasetError(f"{info_path} is not readable JSON: {exc}") from exc
    version = str(info.get("codebase_version", ""))
    if not version.startswith("v3."):
        raise LocalDatasetError(
            f"{dataset_dir} is a LeRobot {version or 'unknown-version'} dataset; only v3.x "
            "datasets can be pushed (convert it with lerobot's converter first)."
        )
    if not info.get("total_episodes"):
        raise LocalDatasetError(f"{dataset_dir} has no committed episode yet; record one first.")
    return info


@contextmanager
def committed_snapshot(dataset_dir: Path) -> Iterator[tuple[Path, list[Path]]]:
    """Yield (snapshot dir, its files): committed episodes only, removed afterwards."""
    dataset_dir = Path(dataset_dir).expanduser().resolve()
    if not dataset_dir.is_dir():
        raise LocalDatasetError(f"Dataset directory {dataset_dir} does not exist.")
    from leisaac_core.dataset import snapshot_committed

    read_info(dataset_dir)  # clear messages for "not a dataset" before taking the lock
    # Next to the dataset so hard links work (same filesystem); hidden so nobody lists it.
    try:
        dest = Path(tempfile.mkdtemp(prefix=f".{dataset_dir.name}.push-", dir=dataset_dir.parent))
    except OSError:
        dest = Path(tempfile.mkdtemp(prefix="leisaac-push-"))
    try:
        try:
            files = snapshot_committed(dataset_dir, dest)
        except (OSError, ValueError, KeyError) as exc:
            raise LocalDatasetError(
                f"Cannot take a consistent snapshot of {dataset_dir}: {exc}. Open it in the "
                "dashboard (or record with --resume) to repair it, then push again."
            ) from exc
        yield dest, [Path(p) for p in files]
    finally:
        shutil.rmtree(dest, ignore_errors=True)
