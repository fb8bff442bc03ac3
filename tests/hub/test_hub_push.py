"""push_dataset against the loopback FakeHub, read back with huggingface_hub.snapshot_download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from huggingface_hub import snapshot_download
from huggingface_hub.errors import RepositoryNotFoundError

from leisaac_core.hub import (
    HubServerError,
    PushProgress,
    push_dataset,
)
from leisaac_core.hub.local import LocalFile
from leisaac_core.hub.push import upload_groups
from tests.hub.conftest import LFS_THRESHOLD, USER, WRITE_TOKEN
from tests.hub.handmade_dataset import dataset_files, write_dataset
from tests.support.fake_hub import FakeHub, Fault

REPO = f"{USER}/pick_orange"


def download(
    hub: FakeHub, tmp_path: Path, revision: str = "v3.0", token: str | bool = WRITE_TOKEN
) -> Path:
    out = tmp_path / f"download-{revision}-{len(list(tmp_path.iterdir()))}"
    snapshot_download(
        REPO,
        repo_type="dataset",
        revision=revision,
        endpoint=hub.endpoint,
        token=token,
        local_dir=out,
    )
    return out


def assert_same_files(dataset: Path, downloaded: Path) -> None:
    local = dataset_files(dataset)
    remote = {p: b for p, b in dataset_files(downloaded).items() if not p.startswith(".")}
    assert set(remote) == set(local) | {"README.md"}
    for path, data in local.items():
        assert remote[path] == data, f"{path} differs after the round trip"


def test_push_then_download_tag_gives_identical_files(
    hub: FakeHub, dataset: Path, tmp_path: Path
) -> None:
    result = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    assert_same_files(dataset, download(hub, tmp_path))
    local = dataset_files(dataset)
    assert result.files_uploaded == len(local) + 1  # + README.md
    assert result.files_skipped == 0
    assert result.url == f"{hub.endpoint}/datasets/{REPO}"
    repo = hub.repo(REPO)
    assert repo.tags == {"v3.0": result.commit}
    assert repo.branches["main"] == result.commit


def test_large_files_go_lfs_and_small_files_inline(hub: FakeHub, dataset: Path) -> None:
    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    stored = hub.repo(REPO).resolve("v3.0").files
    sizes = {p: len(b) for p, b in dataset_files(dataset).items()}
    lfs = {p for p, s in sizes.items() if s >= LFS_THRESHOLD}
    inline = set(sizes) - lfs
    assert lfs and inline, "the dataset must exercise both upload paths"
    assert {p for p in lfs if stored[p].lfs} == lfs
    assert not any(stored[p].lfs for p in inline)
    # Every LFS object arrived through an LFS PUT, exactly once.
    assert sorted(hub.state.lfs_uploads) == sorted(stored[p].sha256 for p in lfs)


def test_dataset_card(hub: FakeHub, dataset: Path) -> None:
    push_dataset(
        dataset,
        REPO,
        token=WRITE_TOKEN,
        endpoint=hub.endpoint,
        tags=["so101", "sim", "LeRobot"],
        license="mit",
    )

    card = hub.files_at(REPO, "v3.0")["README.md"].decode()
    _, header, body = card.split("---", 2)
    meta = yaml.safe_load(header)
    assert meta["license"] == "mit"
    assert meta["task_categories"] == ["robotics"]
    assert meta["tags"] == ["LeRobot", "so101", "sim"]
    assert meta["configs"] == [{"config_name": "default", "data_files": "data/*/*.parquet"}]
    embedded = body.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(embedded) == json.loads((dataset / "meta" / "info.json").read_text())


def test_private_flag(hub: FakeHub, dataset: Path, tmp_path: Path) -> None:
    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint, private=True)

    assert hub.repo(REPO).private
    with pytest.raises(RepositoryNotFoundError):
        download(hub, tmp_path, token=False)
    assert_same_files(dataset, download(hub, tmp_path))


def test_public_by_default(hub: FakeHub, dataset: Path, tmp_path: Path) -> None:
    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    assert not hub.repo(REPO).private
    assert_same_files(dataset, download(hub, tmp_path, token=False))


def test_second_push_sends_only_new_and_changed_files(
    hub: FakeHub, dataset: Path, tmp_path: Path
) -> None:
    first = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    puts_after_first = list(hub.state.lfs_uploads)

    write_dataset(dataset, episodes=3)  # one more episode: 2 new videos, metadata rewritten
    second = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    # New: 2 videos; changed: info.json, stats.json, episodes + data parquet, README.md.
    assert second.files_uploaded == 2 + 4 + 1
    assert second.files_skipped == len(dataset_files(dataset)) + 1 - second.files_uploaded
    assert second.commit != first.commit
    assert hub.repo(REPO).tags["v3.0"] == second.commit, "the v3.0 tag must move to the new push"
    new_puts = hub.state.lfs_uploads[len(puts_after_first) :]
    assert len(new_puts) == 2 and not set(new_puts) & set(puts_after_first)
    assert_same_files(dataset, download(hub, tmp_path))

    commits_before = hub.state.commit_count
    third = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert third.files_uploaded == 0 and third.bytes_uploaded == 0
    assert third.commit == second.commit
    assert hub.state.commit_count == commits_before, "an unchanged dataset makes no commit"


def test_files_removed_locally_are_removed_from_the_hub(hub: FakeHub, dataset: Path) -> None:
    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    write_dataset(dataset, episodes=1)  # episode 1 deleted: its two videos are gone
    stale = "videos/observation.images.wrist/chunk-000/file-001.mp4"

    result = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    assert result.files_deleted == 2
    files = hub.files_at(REPO, "v3.0")
    assert stale not in files
    assert ".gitattributes" in files, "files outside the dataset folders are left alone"


def test_commit_failure_is_clear_and_rerun_resumes_without_resending(
    hub: FakeHub, dataset: Path, tmp_path: Path
) -> None:
    hub.inject(Fault("commit", nth=1, times=1, status=500))
    with pytest.raises(HubServerError) as failure:
        push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    message = str(failure.value)
    assert "HTTP 500" in message and "committing" in message and "again" in message
    uploaded_before_failure = list(hub.state.lfs_uploads)
    assert len(uploaded_before_failure) == 4, "all LFS files were sent before the commit"
    assert "v3.0" not in hub.repo(REPO).tags

    result = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    assert hub.state.lfs_uploads == uploaded_before_failure, "no LFS object is sent twice"
    assert hub.repo(REPO).tags["v3.0"] == result.commit
    assert_same_files(dataset, download(hub, tmp_path))


def test_upload_failure_midway_then_rerun_uploads_only_what_was_missing(
    hub: FakeHub, tmp_path: Path
) -> None:
    dataset = write_dataset(tmp_path / "big", episodes=3)  # 6 LFS videos
    # The 3rd LFS upload fails with a server error the client does not retry.
    hub.inject(Fault("lfs_upload", nth=3, times=1, status=507))
    with pytest.raises(HubServerError) as failure:
        push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint, num_threads=1)
    assert "uploading files" in str(failure.value)
    sent_first = list(hub.state.lfs_uploads)
    # Files 1-2 arrived; the worker may have finished file 4 before the push stopped.
    assert 2 <= len(sent_first) <= 3
    assert hub.state.commit_count == 0

    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint, num_threads=1)

    sent_second = hub.state.lfs_uploads[len(sent_first) :]
    assert len(sent_first) + len(sent_second) == 6
    assert not set(sent_second) & set(sent_first)
    assert_same_files(dataset, download(hub, tmp_path))


def test_tag_failure_then_rerun_only_tags(hub: FakeHub, dataset: Path) -> None:
    hub.inject(Fault("tag", nth=1, times=1, status=503))
    with pytest.raises(HubServerError, match="tagging v3.0"):
        push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    commits = hub.state.commit_count

    result = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    assert result.files_uploaded == 0 and hub.state.commit_count == commits
    assert hub.repo(REPO).tags["v3.0"] == hub.repo(REPO).branches["main"] == result.commit


def test_dropped_connection_during_upload_is_retried(
    hub: FakeHub, dataset: Path, tmp_path: Path
) -> None:
    hub.inject(Fault("lfs_upload", nth=2, times=1, status=None))

    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint, num_threads=1)

    assert hub.state.request_counts["lfs_upload"] == 5  # 4 files + 1 retry
    assert_same_files(dataset, download(hub, tmp_path))


def test_progress_reports_files_and_bytes(hub: FakeHub, tmp_path: Path) -> None:
    # Videos over the 16 MiB upload-group size: each is its own upload call and progress step.
    dataset = write_dataset(tmp_path / "big", episodes=2, video_bytes=9 * 1024 * 1024)
    events: list[PushProgress] = []
    result = push_dataset(
        dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint, progress=events.append
    )

    phases = [e.phase for e in events]
    assert phases[0] == "preparing" and phases[-1] == "done"
    assert phases.index("uploading") < phases.index("committing") < phases.index("tagging")
    uploading = [e for e in events if e.phase == "uploading"]
    assert uploading[0].files_done == 0 and uploading[0].bytes_done == 0
    assert len(uploading) >= 1 + 4, "at least one step per large file"
    pairs = list(zip(uploading, uploading[1:], strict=False))
    assert all(b.files_done > a.files_done and b.bytes_done > a.bytes_done for a, b in pairs)
    assert all(e.current is not None for e in uploading[1:])
    last = events[-1]
    assert last.files_done == last.files_total == result.files_uploaded
    assert last.bytes_done == last.bytes_total == result.bytes_uploaded
    assert result.bytes_uploaded == sum(len(b) for b in dataset_files(dataset).values()) + len(
        hub.files_at(REPO)["README.md"]
    )


def test_upload_groups_keep_large_files_alone_and_batch_small_ones(tmp_path: Path) -> None:
    def file(name: str, size: int) -> LocalFile:
        return LocalFile(name, tmp_path / name, size, "0" * 64, "0" * 40)

    small = [file(f"meta/{i}.json", 100) for i in range(40)]
    big = [file("videos/a.mp4", 20 * 1024 * 1024), file("videos/b.mp4", 20 * 1024 * 1024)]
    groups = upload_groups([*small, *big])
    assert [len(g) for g in groups] == [32, 8, 1, 1]
    assert [f for g in groups for f in g] == [*small, *big]


def test_push_to_branch_tags_the_branch_commit(hub: FakeHub, dataset: Path) -> None:
    result = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint, branch="review")

    repo = hub.repo(REPO)
    assert repo.branches["review"] == result.commit
    assert repo.tags["v3.0"] == result.commit
    assert "meta/info.json" not in hub.files_at(REPO, "main")


def test_uses_hf_endpoint_read_at_call_time(
    hub: FakeHub, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)

    result = push_dataset(dataset, REPO, token=WRITE_TOKEN)

    assert result.url.startswith(hub.endpoint)
