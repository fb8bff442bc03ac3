"""A real two-node Ray cluster on this machine (one per test module, loopback only, small
object stores), and lerobot's reader from the compat tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from leisaac_core.fleet.run import LOOPBACK_ENV

# Before Ray is imported: Ray would otherwise turn 127.0.0.1 into the machine's outward IP.
os.environ.update(LOOPBACK_ENV)

# The reader venv and the live-server fixture of the compat and browser tests. (The fleet's
# Chromium test is in tests/browser: one sync Playwright per process serves every page test.)
from tests.browser.conftest import live_server  # noqa: F401
from tests.compat.conftest import lerobot_python  # noqa: F401

# Per node: one CPU (so two workers land on two nodes) and the smallest object store Ray takes.
NODE_ARGS = {
    "num_cpus": 1,
    "node_ip_address": "127.0.0.1",
    "object_store_memory": 80 * 1024 * 1024,
    "include_dashboard": False,
}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args=dict(NODE_ARGS))
    cluster.add_node(**NODE_ARGS)
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()
