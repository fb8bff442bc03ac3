"""Push a local LeRobot v3 dataset to the Hugging Face Hub.

Steps: create the dataset repo -> compare the committed local files with the remote tree ->
upload only what is missing or changed (LFS / Xet files one by one so progress can be reported;
the server deduplicates content it already holds, which makes a re-run after a cut-off cheap)
-> commit those files, the dataset card and the removal of stale data files, in as few
commits as MAX_FILES_PER_COMMIT allows (data and videos first, metadata and the card last)
-> tag `v3.0` (the dataset's codebase_version) on the last commit, moved if it pointed
elsewhere. lerobot reads the tag, so the intermediate commits of a large push are never
what a reader sees; a push cut between them resumes from the last one (those files are
then unchanged on the Hub and not sent again).

Runs in whatever thread calls it; a web route runs it in a worker thread and forwards
`progress` callbacks to the page.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from leisaac_core import __version__
from leisaac_core.hub.card import build_dataset_card
from leisaac_core.hub.errors import HubError, InvalidRepoIdError, translate
from leisaac_core.hub.local import LocalFile, committed_snapshot, describe_files, read_info
from leisaac_core.hub.token import resolve_token

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
# Top-level folders that hold the dataset itself: remote files there that are not in the local
# snapshot are stale (lerobot loads every data/*/*.parquet) and are deleted by the push.
DATASET_FOLDERS = ("data/", "meta/", "videos/")
CARD_PATH = "README.md"
# One upload call carries at most this many files / bytes (see upload_groups).
UPLOAD_GROUP_FILES = 32
UPLOAD_GROUP_BYTES = 16 * 1024 * 1024
# Files added or deleted per Hub commit. A commit of tens of thousands of files is slow and
# fragile on the Hub; a compacted dataset of any size has a few dozen files and needs one.
# Conservative choice (no documented hard limit is relied on).
MAX_FILES_PER_COMMIT = 1000

_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"^{_REPO_PART}/{_REPO_PART}$")

Phase = Literal["preparing", "uploading", "committing", "tagging", "done"]


@dataclass(frozen=True)
class PushProgress:
    """Where a push stands. Files and bytes count only what this push has to send."""

    phase: Phase
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str | None = None  # repo path of the file just finished


ProgressCallback = Callable[[PushProgress], None]


@dataclass(frozen=True)
class PushResult:
    """What a push did. files/bytes_uploaded count files this push committed; content the
    Hub already held from an interrupted push is deduplicated by the Hub and not re-sent."""

    url: str  # the dataset page
    commit: str  # the commit the tag points at
    files_uploaded: int
    bytes_uploaded: int
    files_skipped: int  # already on the Hub with the same content
    files_deleted: int = 0  # stale files under data/, meta/, videos/ removed from the Hub
    tag: str = "v3.0"


def validate_repo_id(repo_id: str) -> str:
    """NAMESPACE/NAME as the Hub spells it; anything path-like is refused with a hint."""
    if not isinstance(repo_id, str) or not _REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise InvalidRepoIdError(
            f"Invalid repo id {repo_id!r}: it must be NAMESPACE/NAME (letters, digits, '-', '_', "
            "'.'; e.g. alice/so101_pick_orange), not a path. Give the local dataset directory "
            "with --root instead."
        )
    return repo_id


def resolve_endpoint(endpoint: str | None) -> str:
    """Explicit endpoint, else HF_ENDPOINT read now (not at huggingface_hub's import)."""
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


@dataclass(frozen=True)
class PushPlan:
    upload: list[LocalFile]
    unchanged: list[LocalFile]
    delete: list[str]


def plan_push(local: Iterable[LocalFile], remote: dict[str, tuple[str, str | None]]) -> PushPlan:
    """Compare local files with the remote tree {path: (git blob id, lfs sha256 or None)}."""
    upload, unchanged = [], []
    local = list(local)
    for file in local:
        entry = remote.get(file.path_in_repo)
        same = entry is not None and (
            entry[1] == file.sha256 if entry[1] is not None else entry[0] == file.git_oid
        )
        (unchanged if same else upload).append(file)
    local_paths = {f.path_in_repo for f in local}
    delete = sorted(
        path for path in remote if path.startswith(DATASET_FOLDERS) and path not in local_paths
    )
    return PushPlan(upload, unchanged, delete)


class _Progress:
    """Thread-safe counters behind the progress callback."""

    def __init__(self, callback: ProgressCallback | None, files: list[LocalFile]) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self.files_total = len(files)
        self.bytes_total = sum(f.size for f in files)
        self.files_done = 0
        self.bytes_done = 0

    def emit(self, phase: Phase, current: str | None = None) -> None:
        if self._callback is None:
            return
        with self._lock:
            snapshot = PushProgress(
                phase, self.files_done, self.files_total, self.bytes_done, self.bytes_total, current
            )
        try:
            self._callback(snapshot)
        except Exception:  # a broken progress display must not break the push
            logger.exception("push progress callback failed")

    def files_done_now(self, files: list[LocalFile]) -> None:
        with self._lock:
            self.files_done += len(files)
            self.bytes_done += sum(f.size for f in files)
        self.emit("uploading", files[-1].path_in_repo)


def upload_groups(
    files: list[LocalFile], max_files: int = UPLOAD_GROUP_FILES, max_bytes: int = UPLOAD_GROUP_BYTES
) -> list[list[LocalFile]]:
    """Split files into upload calls: big files alone (progress per file where it matters),
    small ones together (a dataset of thousands of small files must not cost thousands of
    API calls and hit the Hub's rate limit)."""
    groups: list[list[LocalFile]] = []
    current: list[LocalFile] = []
    size = 0
    for file in files:
        if current and (len(current) >= max_files or size + file.size > max_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(file)
        size += file.size
    if current:
        groups.append(current)
    return groups


def commit_batches(additions: list[Any], deletions: list[str], delete_op: Any) -> list[list[Any]]:
    """Operations split into commits of at most MAX_FILES_PER_COMMIT: data and videos
    first, then everything else (metadata, the card) and the deletions in the last ones."""
    first = [op for op in additions if not op.path_in_repo.startswith(("meta/", CARD_PATH))]
    last = [op for op in additions if op.path_in_repo.startswith(("meta/", CARD_PATH))]
    ops = first + last + [delete_op(path) for path in deletions]
    size = max(1, MAX_FILES_PER_COMMIT)
    return [ops[i : i + size] for i in range(0, len(ops), size)]


@contextmanager
def _step(step: str, *, repo_id: str, endpoint: str, token: str) -> Iterator[None]:
    """Run one network step; whatever fails becomes a HubError naming the step."""
    try:
        yield
    except HubError:
        raise
    except Exception as exc:
        raise translate(exc, step=step, repo_id=repo_id, endpoint=endpoint, token=token) from exc


def push_dataset(
    dataset_dir: str | Path,
    repo_id: str,
    *,
    token: str | SecretStr | None = None,
    private: bool = False,
    tags: Iterable[str] = (),
    license: str = "apache-2.0",
    branch: str | None = None,
    progress: ProgressCallback | None = None,
    endpoint: str | None = None,
    num_threads: int = 4,
) -> PushResult:
    """Push the committed episodes of `dataset_dir` to dataset repo `repo_id` and tag it.

    token: explicit, else HF_TOKEN, else the huggingface_hub login cache. Raises HubError
    subclasses (InvalidRepoIdError and TokenMissingError before any network call).
    """
    validate_repo_id(repo_id)
    endpoint = resolve_endpoint(endpoint)
    resolved = resolve_token(token)
    secret = resolved.value
    tags = list(tags)
    revision = branch or "main"
    logger.info(
        "pushing %s to %s/datasets/%s (revision %s, token from %s)",
        dataset_dir,
        endpoint,
        repo_id,
        revision,
        resolved.source,
    )

    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, RepoFile

    api = HfApi(
        endpoint=endpoint,
        token=secret,
        library_name="leisaac-dashboard",
        library_version=__version__,
    )

    def step(name: str) -> AbstractContextManager[None]:
        return _step(name, repo_id=repo_id, endpoint=endpoint, token=secret)

    with committed_snapshot(Path(dataset_dir)) as (snapshot_dir, snapshot_files):
        info = read_info(snapshot_dir)
        tag = str(info["codebase_version"])
        card = build_dataset_card(repo_id=repo_id, info=info, license=license, tags=tags)
        card_path = snapshot_dir / CARD_PATH
        card_path.write_text(card, encoding="utf-8")
        _Progress(progress, []).emit("preparing")
        local = describe_files(snapshot_dir, [*snapshot_files, card_path])

        with step("creating the dataset repository"):
            repo_url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        with step("reading the repository"):
            if branch:
                api.create_branch(repo_id, repo_type="dataset", branch=branch, exist_ok=True)
            repo_info = api.dataset_info(repo_id, revision=revision)
            if private and not repo_info.private:
                logger.warning(
                    "%s already exists and is public: --private does not change an existing "
                    "repo; change its visibility in its settings on the Hub",
                    repo_id,
                )
            head = repo_info.sha
            remote = {
                entry.path: (entry.blob_id, entry.lfs.sha256 if entry.lfs else None)
                for entry in api.list_repo_tree(
                    repo_id, repo_type="dataset", revision=head, recursive=True
                )
                if isinstance(entry, RepoFile)
            }

        plan = plan_push(local, remote)
        logger.info(
            "push plan for %s: %d to upload, %d unchanged, %d stale to delete",
            repo_id,
            len(plan.upload),
            len(plan.unchanged),
            len(plan.delete),
        )
        counters = _Progress(progress, plan.upload)
        counters.emit("uploading")

        groups = upload_groups(plan.upload)
        operations_by_group = [
            [CommitOperationAdd(f.path_in_repo, str(f.local_path)) for f in group]
            for group in groups
        ]
        additions = [op for group in operations_by_group for op in group]

        def preupload(index: int) -> int:
            # Sends LFS / Xet content now; regular files travel inside the commit below.
            api.preupload_lfs_files(
                repo_id,
                additions=operations_by_group[index],
                repo_type="dataset",
                revision=revision,
                num_threads=1,
                free_memory=False,
            )
            return index

        with step("uploading files"), ThreadPoolExecutor(max(1, num_threads)) as pool:
            futures = [pool.submit(preupload, i) for i in range(len(groups))]
            try:
                for future in as_completed(futures):
                    counters.files_done_now(groups[future.result()])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

        commit = head
        batches = commit_batches(additions, plan.delete, CommitOperationDelete)
        for number, batch in enumerate(batches, start=1):
            counters.emit("committing")
            episodes = info.get("total_episodes")
            part = f" (part {number} of {len(batches)})" if len(batches) > 1 else ""
            with step("committing the upload"):
                commit_info = api.create_commit(
                    repo_id,
                    batch,
                    commit_message=f"Upload dataset ({episodes} episodes) with "
                    f"leisaac-dashboard{part}",
                    repo_type="dataset",
                    revision=revision,
                    parent_commit=commit,
                )
            commit = commit_info.oid

        counters.emit("tagging")
        with step(f"tagging {tag}"):
            _move_tag(api, repo_id, tag, commit)

    counters.emit("done")
    result = PushResult(
        url=str(repo_url),
        commit=commit,
        files_uploaded=len(plan.upload),
        bytes_uploaded=counters.bytes_done,
        files_skipped=len(plan.unchanged),
        files_deleted=len(plan.delete),
        tag=tag,
    )
    logger.info("pushed %s: %s", repo_id, result)
    return result


def _move_tag(api: Any, repo_id: str, tag: str, commit: str) -> None:
    """Point `tag` at `commit`, replacing a tag that points elsewhere."""
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    current = next((ref.target_commit for ref in refs.tags if ref.name == tag), None)
    if current == commit:
        return
    if current is not None:
        api.delete_tag(repo_id, tag=tag, repo_type="dataset")
    api.create_tag(repo_id, tag=tag, revision=commit, repo_type="dataset")
