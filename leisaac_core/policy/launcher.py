"""A session's own policy server: `policy serve --policy PATH` started as a child process in
the lerobot environment's Python, ready once it listens, stopped with the session.

The child runs the CLI module by name (`-m server.cli`) with only our two packages on its
path (links in a folder of its own): the lerobot environment keeps its own dependencies,
and a dashboard installed from a wheel serves the same way as a checkout. On Linux the child
is asked to die with the thread that started it, so a dashboard killed outright leaves no
server behind.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from leisaac_core.policy.config import PolicyCheckpointConfig

DEFAULT_LEROBOT_PYTHON = Path.home() / ".cache/leisaac-dashboard/lerobot-reader-venv/bin/python"
SETUP_COMMAND = "bash tests/compat/setup_lerobot_reader.sh"
_PACKAGES = ("leisaac_core", "server")
_STOP_WAIT_S = 10.0
_TAIL_CHARS = 2000
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class PolicyServerStartError(OSError):
    """The policy server could not be started: what went wrong, with its last output (an
    OSError: a failed outside process, reported without a traceback)."""


def looks_like_path(checkpoint: str) -> bool:
    """A local folder rather than a Hub id ("namespace/name")."""
    return checkpoint.startswith(("/", "~", ".")) or checkpoint.count("/") > 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class PolicyServerProcess:
    """A running child policy server at `url`; `stop()` ends it (idempotent)."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, workdir: Path) -> None:
        self.proc = proc
        self.url = url
        self.workdir = workdir

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    def start(
        cls,
        config: PolicyCheckpointConfig,
        task: str | None = None,
        waiting: Callable[[float], None] | None = None,
    ) -> PolicyServerProcess:
        """Start the server and wait until it listens; `waiting(seconds)` is called about
        once a second meanwhile. Raises PolicyServerStartError (nothing left running)."""
        python = Path(config.python).expanduser() if config.python else DEFAULT_LEROBOT_PYTHON
        if not python.is_file():
            raise PolicyServerStartError(
                f"the lerobot environment's Python {python} does not exist: prepare it with "
                f"`{SETUP_COMMAND}` from a checkout, or name the Python of your lerobot "
                "environment"
            )
        checkpoint = config.path
        if looks_like_path(checkpoint):
            folder = Path(checkpoint).expanduser().resolve()
            if not folder.is_dir():
                raise PolicyServerStartError(
                    f"no checkpoint folder {checkpoint}: name the folder lerobot-train saved "
                    "(…/checkpoints/last/pretrained_model) or a Hub id"
                )
            checkpoint = str(folder)
        workdir = Path(tempfile.mkdtemp(prefix="leisaac-policy-server-"))
        for package in _PACKAGES:  # found, not imported: the policy layer never imports server
            spec = importlib.util.find_spec(package)
            assert spec is not None and spec.submodule_search_locations
            source = Path(list(spec.submodule_search_locations)[0])
            (workdir / package).symlink_to(source, target_is_directory=True)
        port = free_port()
        command = [str(python), "-m", "server.cli", "policy", "serve", "--policy", checkpoint]
        command += ["--host", "127.0.0.1", "--port", str(port), "--device", config.device]
        if task is not None:
            command += ["--task", task]
        log = (workdir / "server.log").open("wb")
        try:
            proc = subprocess.Popen(
                command,
                cwd=workdir,
                env={**os.environ, "PYTHONPATH": str(workdir), "PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (a libc call, loaded beforehand)
            )
        except OSError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise PolicyServerStartError(f"cannot run {python}: {exc}") from None
        finally:
            log.close()
        server = cls(proc, f"ws://127.0.0.1:{port}", workdir)
        try:
            server._wait_ready(port, config.startup_timeout_s, waiting)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(
        self, port: int, timeout_s: float, waiting: Callable[[float], None] | None
    ) -> None:
        started = time.monotonic()
        said = 0
        while True:
            code = self.proc.poll()
            if code is not None:
                raise PolicyServerStartError(
                    f"the policy server exited (code {code}) before it was ready:\n{self.tail()}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                pass
            elapsed = time.monotonic() - started
            if elapsed > timeout_s:
                raise PolicyServerStartError(
                    f"the policy server did not listen within {timeout_s:g} s:\n{self.tail()}"
                )
            if waiting is not None and int(elapsed) > said:
                said = int(elapsed)
                waiting(elapsed)
            time.sleep(0.1)

    def tail(self) -> str:
        """The end of the server's output (its errors are last)."""
        try:
            text = (self.workdir / "server.log").read_bytes().decode(errors="replace")
        except OSError:
            return "(no output)"
        text = text.strip()
        return ("…" + text[-_TAIL_CHARS:]) if len(text) > _TAIL_CHARS else (text or "(no output)")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(_STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
