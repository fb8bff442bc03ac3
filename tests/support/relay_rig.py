"""The operator's side of a remote leader, for tests and bench/relay.py: the simulated
STS3215 bus on a pty in its own process (the operator's laptop) and `leisaac-dashboard
leader relay` in another, streaming to a server."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from leisaac_core.so101 import JOINTS

REPO = Path(__file__).resolve().parents[2]
FPS = 30
TICK_MS = 1e3 / FPS
CALIBRATION = {
    joint: {"id": i + 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, joint in enumerate(JOINTS)
}


def _own_machine() -> None:
    """The relay and the arm run on the operator's laptop, which the server's load does not
    touch; on this one shared machine they get the priority a machine of their own would
    (root may raise it; elsewhere they run at the usual priority)."""
    with contextlib.suppress(OSError):
        os.nice(-10)


def write_calibration(path: Path) -> Path:
    """A lerobot calibration file for the simulated arm (every joint over ticks 1000-3000)."""
    path.write_text(json.dumps(CALIBRATION))
    return path


class OperatorArm:
    """The simulated bus on a pty, served by its own process: the operator's laptop, apart
    from the server's process (as the relay is)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.sts3215_bus", "--transport", "pty"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_own_machine,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"bus on (\S+);", line)
        assert match, f"the simulated bus did not start: {line!r}"
        self.url = match.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Relay:
    """`leisaac-dashboard leader relay` as the operator runs it, in its own process."""

    def __init__(self, bus: OperatorArm, calibration: Path, server: str, log: Path) -> None:
        self.args = [
            sys.executable,
            "-m",
            "server.cli",
            "leader",
            "relay",
            "--port",
            bus.url,
            "--id",
            "desk",
            "--calibration",
            str(calibration),
            "--server",
            server,
        ]
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Relay:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                cwd=REPO,
                stderr=out,
                stdout=out,
                env=dict(os.environ, PYTHONPATH=str(REPO)),
            )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


def relay_session_body(repo_id: str, episodes: int, stale_after_ms: float = 200) -> dict[str, Any]:
    return {
        "episodes": episodes,
        "env": {"task": "so101_pick_orange", "camera_width": 64, "camera_height": 48, "fps": FPS},
        "devices": [{"type": "remote_leader", "id": "desk", "stale_after_ms": stale_after_ms}],
        "dataset": {"repo_id": repo_id},
        "episode": {"time_s": 120, "reset_time_s": 0},
    }
