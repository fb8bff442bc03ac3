"""The lerobot reader venv (test-only). If it cannot be built, compat tests FAIL with why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "dataset"))
sys.path.insert(0, str(HERE))


def reader_venv() -> Path:
    default = Path.home() / ".cache/leisaac-dashboard/lerobot-reader-venv"
    return Path(os.environ.get("LEROBOT_READER_VENV", default))


@pytest.fixture(scope="session")
def lerobot_python() -> Path:
    """Build (first time ~5 min) or reuse the reader venv; returns its python."""
    proc = subprocess.run(
        ["bash", str(HERE / "setup_lerobot_reader.sh")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        pytest.fail(
            "could not build lerobot's reader venv with tests/compat/setup_lerobot_reader.sh "
            f"(exit {proc.returncode}):\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return reader_venv() / "bin" / "python"


@pytest.fixture(scope="session")
def tiny_act_checkpoint(lerobot_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small randomly initialised ACT saved as lerobot-train saves one (64x48 front camera
    and the joint state: what the lift-cube task sends), built once per test session (the
    modules that import this fixture each get an instance: they share the folder)."""
    out = tmp_path_factory.getbasetemp() / "tiny_act_checkpoint" / "pretrained_model"
    if (out / "model.safetensors").exists():
        return out
    made = subprocess.run(
        [str(lerobot_python), str(HERE / "make_tiny_policy.py"), str(out), "48", "64", "act"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-4000:]
    return out
