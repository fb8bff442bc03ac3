"""A push of many files makes a bounded number of Hub commits (data first, metadata last,
the tag on the last), and a push cut between them resumes from where it stopped."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from leisaac_core.hub import HubServerError, push_dataset
from leisaac_core.hub import push as push_mod
from tests.hub.conftest import USER, WRITE_TOKEN
from tests.hub.handmade_dataset import dataset_files, write_dataset
from tests.hub.test_hub_push import assert_same_files, download
from tests.support.fake_hub import FakeHub, Fault

REPO = f"{USER}/pick_orange"


@pytest.fixture
def many_files(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setattr(push_mod, "MAX_FILES_PER_COMMIT", 4)
    return write_dataset(tmp_path / "datasets" / USER / "pick_orange", episodes=5)


def test_push_splits_into_bounded_commits(hub: FakeHub, many_files: Path, tmp_path) -> None:
    files = len(dataset_files(many_files)) + 1  # + the dataset card
    result = push_dataset(many_files, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    commits = math.ceil(files / 4)
    assert commits >= 3 and hub.state.commit_count == commits
    assert hub.repo(REPO).tags["v3.0"] == result.commit
    last = hub.repo(REPO).commits[result.commit]
    assert f"part {commits} of {commits}" in last.summary
    # Metadata travels in the last commit: earlier ones hold only data and videos.
    (first,) = [c for c in hub.repo(REPO).commits.values() if "part 1 of" in c.summary]
    assert any(p.startswith("videos/") for p in first.files)
    assert not any(p.startswith("meta/") for p in first.files)
    assert_same_files(many_files, download(hub, tmp_path))
    # Nothing changed: a second push makes no commit at all.
    push_dataset(many_files, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert hub.state.commit_count == math.ceil(files / 4)


def test_push_cut_between_commits_resumes(hub: FakeHub, many_files: Path, tmp_path) -> None:
    files = len(dataset_files(many_files)) + 1
    hub.inject(Fault("commit", nth=2, times=1, status=500))
    with pytest.raises(HubServerError, match="committing"):
        push_dataset(many_files, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert hub.state.commit_count == 1 and "v3.0" not in hub.repo(REPO).tags
    result = push_dataset(many_files, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert result.files_skipped == 4  # the first commit's files are not sent again
    assert hub.state.commit_count == math.ceil(files / 4)
    assert hub.repo(REPO).tags["v3.0"] == result.commit
    assert_same_files(many_files, download(hub, tmp_path))
