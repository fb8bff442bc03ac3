"""The Isaac Lab test venv (test-only). If it cannot be built, these tests FAIL with why."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def isaaclab_venv() -> Path:
    default = Path.home() / ".cache/leisaac-dashboard/isaaclab-venv"
    return Path(os.environ.get("ISAACLAB_TEST_VENV", default))


@pytest.fixture(scope="session")
def isaaclab_python() -> Path:
    """Build (first time ~2 min) or reuse the venv; returns its python."""
    proc = subprocess.run(
        ["bash", str(HERE / "setup_isaaclab_venv.sh")], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        pytest.fail(
            "could not build the Isaac Lab test venv with "
            f"tests/isaaclab_real/setup_isaaclab_venv.sh (exit {proc.returncode}):\n"
            f"{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return isaaclab_venv() / "bin" / "python"
