"""The CPU image, built once per test run with the real Docker engine.

No registry is reachable from the dev and CI machines, so the base image (the Dockerfile's
PYTHON_IMAGE build argument) is made from Debian packages by tools/build_base_image.sh, cached
by a hash of that script (first time about a minute, then instant). The app image is then built
with Docker's own layer cache: its dependency layer is rebuilt only when pyproject.toml
changes, and an unchanged tree builds in a second or two. LEISAAC_TEST_PYTHON_IMAGE picks
another base (e.g. python:3.11-slim-bookworm where a registry is reachable).

Every test here skips, saying why, where the Docker engine cannot run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time

import pytest

from tests.compat.conftest import lerobot_python  # noqa: F401  (fixture for the volume test)
from tests.docker.docker_support import ROOT, docker, docker_problem

# Tags of their own per checkout: test runs in other worktrees on the same Docker engine
# neither move them nor prune what they point at.
CHECKOUT = hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
IMAGE = f"leisaac-dashboard:cpu-test-{CHECKOUT}"
WHEEL_IMAGE = f"leisaac-dashboard:wheel-test-{CHECKOUT}"
LABEL = "org.opencontainers.image.title=leisaac-dashboard"


@pytest.fixture(scope="session")
def docker_engine() -> None:
    if problem := docker_problem():
        pytest.skip(f"no Docker engine: {problem} (bash .ci/setup --test installs and starts it)")


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    if image := os.environ.get("LEISAAC_TEST_PYTHON_IMAGE"):
        return image
    proc = subprocess.run(
        ["bash", str(ROOT / "tools" / "build_base_image.sh")],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if proc.returncode != 0 and os.geteuid() != 0:
        pytest.skip(
            "the Debian base image is not built yet and making it needs root (debootstrap): "
            f"{proc.stderr.strip()[-300:]}"
        )
    assert proc.returncode == 0, f"tools/build_base_image.sh failed:\n{proc.stderr[-4000:]}"
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def cpu_image(base_image: str) -> str:
    """`docker build --target cpu` of this checkout; Docker's layer cache makes reruns cheap."""
    started = time.monotonic()
    # The wheel stage is built and tagged first so that it is kept (as the build cache) while
    # the untagged leftovers of earlier builds are pruned below.
    for target, tag in (("wheel", WHEEL_IMAGE), ("cpu", IMAGE)):
        # The classic builder: Debian's docker.io has no buildx, and the Dockerfile needs
        # nothing BuildKit-only. Host networking reaches the registries the machine reaches.
        proc = docker(
            "build",
            "--network",
            "host",
            "--build-arg",
            f"PYTHON_IMAGE={base_image}",
            "--target",
            target,
            "--tag",
            tag,
            str(ROOT),
            env={"DOCKER_BUILDKIT": "0"},
            timeout=1800,
        )
        assert proc.returncode == 0, f"docker build failed:\n{proc.stdout[-6000:]}\n{proc.stderr}"
    # Earlier builds that lost their tag, with the layers that no image uses any more.
    docker("image", "prune", "--force", "--filter", f"label={LABEL}")
    size = docker("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip()
    print(
        f"\n[docker] built {IMAGE} from {base_image} in {time.monotonic() - started:.1f} s, "
        f"{int(size) / 1e6:.0f} MB"
    )
    return IMAGE
