"""The rooms import only downwards, with no cycles: `lint-imports` with the contracts in
pyproject.toml (`[tool.importlinter]`)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def test_lint_imports_keeps_every_contract() -> None:
    pytest.importorskip("importlinter", reason="import-linter is in the test extra")
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]
        + ["--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_room_of_leisaac_core_has_a_layer() -> None:
    """A new package or top-level module in leisaac_core must be placed in the layers."""
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    placed = {
        name.strip()
        for layer in layers["layers"]  # type: ignore[union-attr]
        for name in str(layer).split("|")
    }
    package = ROOT / "leisaac_core"
    rooms = {
        f"leisaac_core.{p.stem}"
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").is_file())
        or (p.suffix == ".py" and p.name != "__init__.py")
    }
    assert rooms <= placed, f"not in any layer of pyproject.toml: {sorted(rooms - placed)}"
