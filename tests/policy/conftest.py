"""Policy servers on loopback ports, run in a thread of the test process (real websockets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from leisaac_core.policy.base import PolicyFactory
from leisaac_core.policy.expert import ExpertPolicy
from leisaac_core.policy.server import PolicyServer


@pytest.fixture
def serve_policy() -> Iterator[Callable[..., PolicyServer]]:
    servers: list[PolicyServer] = []

    def start(factory: PolicyFactory, port: int = 0) -> PolicyServer:
        server = PolicyServer(factory, port=port).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def expert_server(serve_policy) -> PolicyServer:
    return serve_policy(lambda: ExpertPolicy(chunk_size=10))
