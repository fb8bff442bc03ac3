"""Fixtures for hub tests: a loopback FakeHub, tokens, and a hand-made v3 dataset.

Xet is disabled (the fake hub speaks LFS "basic" only) and the login cache points at an empty
temp file so a developer's own Hugging Face login never leaks into a test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_DISABLE_XET"] = "1"  # before huggingface_hub is imported, when it is first

from huggingface_hub import constants  # noqa: E402

from tests.hub.handmade_dataset import write_dataset  # noqa: E402
from tests.support.fake_hub import FakeHub  # noqa: E402

WRITE_TOKEN = "hf_WriteTokenForTests0123456789abcdef"
READ_TOKEN = "hf_ReadOnlyTokenForTests0123456789abcd"
USER = "alice"
LFS_THRESHOLD = 64 * 1024


@pytest.fixture(autouse=True)
def _hub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # huggingface_hub read these at import: set the module values too.
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(lfs_threshold=LFS_THRESHOLD) as server:
        server.add_token(WRITE_TOKEN, user=USER, write=True)
        server.add_token(READ_TOKEN, user=USER, write=False)
        yield server


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "datasets" / USER / "pick_orange", episodes=2)
