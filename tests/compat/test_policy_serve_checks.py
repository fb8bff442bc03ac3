"""`leisaac-dashboard policy serve --policy` checks its own environment at start (issue 28):
run in a lerobot environment that lacks websockets (the case that made an evaluation report
0 % against a server that never started), it says what to install and exits; in the whole
lerobot environment it checks the checkpoint's inputs against the tasks and serves. Real
lerobot, real torch, a small ACT saved by lerobot (tests/compat/make_tiny_policy.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from leisaac_core.policy.client import PolicyClient
from tests.support.live_server import free_port

HERE = Path(__file__).parent
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def tiny_act(lerobot_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = tmp_path_factory.mktemp("policy") / "tiny_act"
    made = subprocess.run(
        [str(lerobot_python), str(HERE / "make_tiny_policy.py"), str(model), "48", "64", "act"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-4000:]
    return model


def _without(lerobot_python: Path, module: str, where: Path) -> Path:
    """A Python whose packages are the lerobot environment's, all but `module`'s: a fresh
    venv of the same interpreter seeing the others through links (nothing is reinstalled)."""
    venv = lerobot_python.parents[1]
    home = next(
        line.split("=", 1)[1].strip()
        for line in (venv / "pyvenv.cfg").read_text().splitlines()
        if line.startswith("home")
    )
    subprocess.run([f"{home}/python3", "-m", "venv", "--without-pip", str(where)], check=True)
    (site,) = venv.glob("lib/python3*/site-packages")
    kept = where / "packages"
    kept.mkdir()
    for entry in site.iterdir():
        if not entry.name.startswith(module) and entry.suffix != ".pth":
            (kept / entry.name).symlink_to(entry)
    (target,) = where.glob("lib/python3*/site-packages")
    (target / "lerobot_env.pth").write_text(f"{kept}\n")
    return where / "bin" / "python"


def _serve(python: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [str(python), "-m", "server.cli", "policy", "serve", *args],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_lerobot_environment_without_websockets_is_told_what_to_install(
    lerobot_python: Path, tiny_act: Path, tmp_path: Path
) -> None:
    python = _without(lerobot_python, "websockets", tmp_path / "env")
    probe = subprocess.run([str(python), "-c", "import lerobot, torch, msgpack"], check=False)
    assert probe.returncode == 0, "the rest of the lerobot environment is there"
    proc = _serve(python, "--policy", str(tiny_act))
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr
    assert f"cannot serve {tiny_act}" in stderr
    assert f"this Python ({python}) lacks websockets," in stderr
    assert 'pip install "websockets"' in stderr and "setup_lerobot_reader.sh" in stderr
    assert "Traceback" not in stderr


def test_the_lerobot_environment_checks_the_inputs_and_serves(
    lerobot_python: Path, tiny_act: Path
) -> None:
    port = free_port()
    proc = _serve(
        lerobot_python, "--policy", str(tiny_act), "--task", "so101_lift_cube", "--port", str(port)
    )
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # until it listens (or dies)
            lines.append(line)
            if "serving on" in line:
                break
        assert "the policy's inputs fit so101_lift_cube\n" in lines, "".join(lines)
        deadline = time.monotonic() + 60
        while True:  # "serving on" comes just before it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
                time.sleep(0.2)
        client = PolicyClient(f"ws://127.0.0.1:{port}")
        assert client.connect()["action_dim"] == 6
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
