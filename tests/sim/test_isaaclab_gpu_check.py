"""`doctor --isaac-check`: the ordered GPU checks' harness (the checks themselves need an RTX
GPU with Isaac Sim; here the first check fails and says what is missing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from leisaac_core.sim.isaaclab.gpu_check import Group, format_table, run_all

REPO = Path(__file__).resolve().parents[2]


def test_isaac_check_on_a_machine_without_isaac_lab_fails_first_and_skips_the_rest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "doctor", "--isaac-check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["check", "result"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == [
        "install",
        "host",
        "shutdown",
        "success",
        "joints",
        "images",
        "info",
        "sessions",
    ]
    assert "FAIL" in rows["install"] and "isaaclab" in rows["install"]
    assert all("skip" in rows[c] for c in list(rows)[1:])


def test_a_group_that_hangs_is_stopped_and_its_missing_checks_fail(tmp_path: Path) -> None:
    """A stand-in interpreter reports the first check of a group, then hangs past the
    group's timeout (what a Kit deadlock looks like)."""
    fake_python = tmp_path / "python"
    fake_python.write_text(
        "#!/bin/sh\n"
        'echo \'{"check": "host", "passed": true, "detail": "built", "seconds": 1.0}\'\n'
        "echo 'Kit is stuck' >&2\n"
        "exec sleep 30\n"
    )
    fake_python.chmod(0o755)
    groups = (
        Group("host", ("host", "shutdown"), timeout_s=2),
        Group("sessions", ("sessions",), timeout_s=2, needs=("shutdown",)),
    )
    results = {r.check: r for r in run_all(str(fake_python), groups)}
    assert results["host"].passed is True
    assert results["shutdown"].passed is False
    assert "timed out after 2 s" in results["shutdown"].detail
    assert "Kit is stuck" in results["shutdown"].detail
    assert results["sessions"].passed is None and "needs shutdown" in results["sessions"].detail
    table = format_table(list(results.values()))
    assert "PASS" in table and "FAIL" in table and "skip" in table
