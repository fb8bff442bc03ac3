"""Fixtures: a live server without a token and one with a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.support.live_server import LiveServer, make_settings, start_server


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(make_settings(tmp_path / "datasets"))
    yield server
    server.stop()


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(make_settings(tmp_path / "datasets", token=SecretStr("s3cret-token")))
    yield server
    server.stop()
