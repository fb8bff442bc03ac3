"""Small helpers around the docker CLI for the image tests (subprocess, no SDK: the CLI is what
the README tells admins to run)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def docker(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def docker_problem() -> str | None:
    """Why the Docker engine cannot be used here, or None when it can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        proc = docker("version", "--format", "{{.Server.Version}}", timeout=30)
    except subprocess.TimeoutExpired:
        return "`docker version` did not answer within 30 s"
    if proc.returncode != 0:
        return f"dockerd is not reachable: {proc.stderr.strip()[-300:]}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Container:
    """A detached container of the image on the host network, serving on its own port."""

    image: str
    token: str
    data_dir: Path
    user: str | None = None  # None: the image's own user
    health_interval_s: float = 30.0
    port: int = field(default_factory=free_port)
    name: str = field(default_factory=lambda: f"leisaac-test-{uuid.uuid4().hex[:10]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = ["run", "--detach", "--name", self.name, "--network", "host"]
        args += ["--env", f"LEISAAC_PORT={self.port}", "--env", f"LEISAAC_TOKEN={self.token}"]
        args += ["--volume", f"{self.data_dir}:/data"]
        args += ["--health-interval", f"{self.health_interval_s:g}s"]
        if self.user is not None:
            args += ["--user", self.user]
        proc = docker(*args, self.image)
        assert proc.returncode == 0, f"docker run failed: {proc.stderr}"

    def inspect(self) -> dict:
        proc = docker("inspect", self.name)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)[0]

    def logs(self) -> str:
        proc = docker("logs", "--tail", "60", self.name)
        return proc.stdout + proc.stderr

    def exec(self, *cmd: str) -> str:
        proc = docker("exec", self.name, *cmd)
        assert proc.returncode == 0, f"{cmd} failed in the container: {proc.stderr}"
        return proc.stdout.strip()

    def wait_until_serving(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.inspect()["State"]
            assert state["Running"], f"the container exited ({state}):\n{self.logs()}"
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the server did not answer within {timeout_s} s:\n{self.logs()}")

    def health_status(self) -> str:
        return self.inspect()["State"]["Health"]["Status"]

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.name)
