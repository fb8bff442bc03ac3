"""The console script itself: help, version, and the subcommands it offers."""

from __future__ import annotations

import subprocess
import sys

from leisaac_core import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_version_and_help() -> None:
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"leisaac-dashboard {__version__}"
    help_text = _run("--help")
    assert help_text.returncode == 0
    for command in ("serve", "record", "push", "leader", "doctor"):
        assert command in help_text.stdout
    assert _run("record", "--help").returncode == 0
    unknown = _run("fly")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
