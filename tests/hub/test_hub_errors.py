"""Tokens and errors: where the token comes from, what each failure says, and that the token
never appears in an error, a traceback or a log line."""

from __future__ import annotations

import logging
import socket
import traceback
from pathlib import Path

import pytest
from huggingface_hub import constants
from pydantic import SecretStr

from leisaac_core.hub import (
    AuthenticationError,
    HubError,
    HubUnreachableError,
    InvalidRepoIdError,
    LocalDatasetError,
    PermissionDeniedError,
    TokenMissingError,
    push_dataset,
    resolve_token,
)
from tests.hub.conftest import READ_TOKEN, USER, WRITE_TOKEN
from tests.support.fake_hub import FakeHub

REPO = f"{USER}/pick_orange"
BAD_TOKEN = "hf_NotAValidTokenButLooksLikeOne012345"


def full_text(exc: BaseException) -> str:
    """Message, traceback and chained causes, as a log handler would print them."""
    return "".join(traceback.format_exception(exc))


def test_token_explicit_wins_over_env_and_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    resolved = resolve_token("hf_explicit")
    assert (resolved.value, resolved.source) == ("hf_explicit", "argument")
    assert resolve_token(SecretStr("hf_secret")).value == "hf_secret"


def test_token_from_env_then_login_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cache = tmp_path / "token"
    cache.write_text("hf_from_login_cache\n")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(cache))
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert resolve_token().source == "HF_TOKEN"
    monkeypatch.delenv("HF_TOKEN")
    resolved = resolve_token()
    assert (resolved.value, resolved.source) == ("hf_from_login_cache", "login cache")
    assert "hf_from_login_cache" not in repr(resolved) + str(resolved)


def test_no_token_fails_before_any_request(hub: FakeHub, dataset: Path) -> None:
    with pytest.raises(TokenMissingError, match="HF_TOKEN.*hf auth login"):
        push_dataset(dataset, REPO, endpoint=hub.endpoint)
    assert not hub.state.request_counts
    assert not hub.state.repos


@pytest.mark.parametrize(
    "repo_id",
    [
        "pick_orange",
        "../pick_orange",
        "/abs/path",
        "./data",
        "a/b/c",
        "alice\\ds",
        "alice/",
        "/x",
        "al ice/ds",
        "alice/..",
        "",
    ],
)
def test_path_like_or_malformed_repo_ids_are_rejected_before_network(
    hub: FakeHub, dataset: Path, repo_id: str
) -> None:
    with pytest.raises(InvalidRepoIdError, match="NAMESPACE/NAME"):
        push_dataset(dataset, repo_id, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert not hub.state.request_counts


def test_bad_token_is_an_authentication_error(
    hub: FakeHub, dataset: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError, match="401") as failure:
        push_dataset(dataset, REPO, token=BAD_TOKEN, endpoint=hub.endpoint)
    assert "HF_TOKEN" in str(failure.value)
    assert BAD_TOKEN not in full_text(failure.value)
    assert BAD_TOKEN not in caplog.text
    assert not hub.state.repos


def test_read_only_token_is_a_permission_error(
    hub: FakeHub, dataset: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermissionDeniedError, match="write access") as failure:
        push_dataset(dataset, REPO, token=READ_TOKEN, endpoint=hub.endpoint)
    assert READ_TOKEN not in full_text(failure.value)
    assert READ_TOKEN not in caplog.text


def test_read_only_token_on_existing_repo_fails_at_upload(hub: FakeHub, dataset: Path) -> None:
    push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    (dataset / "meta" / "stats.json").write_text("{}")
    with pytest.raises(PermissionDeniedError, match="403") as failure:
        push_dataset(dataset, REPO, token=READ_TOKEN, endpoint=hub.endpoint)
    assert READ_TOKEN not in full_text(failure.value)


def test_other_namespace_is_a_permission_error(hub: FakeHub, dataset: Path) -> None:
    with pytest.raises(PermissionDeniedError, match="'bob' namespace"):
        push_dataset(dataset, "bob/pick_orange", token=WRITE_TOKEN, endpoint=hub.endpoint)


def test_successful_push_never_logs_the_token(
    hub: FakeHub, dataset: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert "token from argument" in caplog.text, "the log says where the token came from"
    assert WRITE_TOKEN not in caplog.text
    assert WRITE_TOKEN not in repr(result)


def test_unreachable_endpoint(dataset: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HubUnreachableError, match=f"127.0.0.1:{port}") as failure:
        push_dataset(dataset, REPO, token=WRITE_TOKEN, endpoint=f"http://127.0.0.1:{port}")
    assert "network" in str(failure.value)
    assert WRITE_TOKEN not in full_text(failure.value)


def test_missing_or_non_v3_dataset(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(LocalDatasetError, match="does not exist"):
        push_dataset(tmp_path / "nope", REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LocalDatasetError, match="meta/info.json is missing"):
        push_dataset(tmp_path / "empty", REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    old = tmp_path / "old" / "meta"
    old.mkdir(parents=True)
    (old / "info.json").write_text('{"codebase_version": "v2.1", "total_episodes": 3}')
    with pytest.raises(LocalDatasetError, match="v2.1"):
        push_dataset(tmp_path / "old", REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)
    assert not hub.state.request_counts


def test_every_hub_error_is_a_hub_error() -> None:
    for cls in (
        AuthenticationError,
        PermissionDeniedError,
        HubUnreachableError,
        InvalidRepoIdError,
        TokenMissingError,
    ):
        assert issubclass(cls, HubError)
