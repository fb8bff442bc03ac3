"""Ray: found, started locally or reached at an address. The fleet's modules import Ray only
through `import_ray()`, so it stays an optional extra (`pip install leisaac-dashboard[fleet]`)."""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

CODE_ROOT = str(Path(__file__).resolve().parents[2])
# A local instance (no --address): small object store, no dashboard, loopback only.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024
# Ray resolves 127.0.0.1 to the machine's outward address (and binds there) unless it is
# told this machine is no cluster member; read when Ray is first imported.
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


class FleetError(RuntimeError):
    """The fleet cannot run (Ray missing, no resources): the message says what to do."""


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise FleetError(
            "the fleet needs Ray: pip install 'leisaac-dashboard[fleet]' (or pip install ray)"
        ) from None
    return ray


def worker_runtime_env() -> dict[str, Any]:
    """Workers import this checkout's code: its folder goes first on their PYTHONPATH (a
    fresh clone in CI is not installed in site-packages). Nodes of a remote cluster need the
    package installed (the same version) or this folder at the same path."""
    path = os.pathsep.join(p for p in (CODE_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    return {"env_vars": {"PYTHONPATH": path}}


def connect(address: str | None, num_cpus: float) -> bool:
    """Connect to `address` or start a local instance; True when this call started Ray."""
    if not address or address.split(":")[0] in ("127.0.0.1", "localhost"):
        for key, value in LOOPBACK_ENV.items():
            os.environ.setdefault(key, value)
    ray = import_ray()
    if ray.is_initialized():
        return False
    common = {
        "runtime_env": worker_runtime_env(),
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "include_dashboard": False,
    }
    if address:
        try:
            ray.init(address=address, **common)
        except ConnectionError as exc:
            raise FleetError(f"cannot reach the Ray cluster at {address}: {exc}") from None
    else:
        ray.init(
            # "local": a new instance even when another one runs on this machine (Ray
            # would otherwise join the newest it finds there)
            address="local",
            num_cpus=max(1, int(num_cpus + 0.999)),
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            _node_ip_address="127.0.0.1",
            **common,
        )
    return True


def check_gpus(ray: Any, wanted: float, backend: str) -> None:
    """Workers that need `wanted` GPU each can be placed at least once."""
    if wanted <= 0:
        return
    gpus = float(ray.cluster_resources().get("GPU", 0))
    if gpus < wanted:
        raise FleetError(
            f"{backend} workers need {wanted:g} GPU each and the Ray cluster has {gpus:g}; "
            "add GPU nodes or lower --workers"
        )
