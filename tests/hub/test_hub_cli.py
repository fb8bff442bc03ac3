"""`leisaac-dashboard push` as a subprocess against the loopback FakeHub."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.hub.conftest import USER, WRITE_TOKEN
from tests.hub.handmade_dataset import dataset_files
from tests.support.fake_hub import FakeHub

REPO = f"{USER}/pick_orange"


def run_cli(
    args: list[str], *, tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    base |= {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_DISABLE_XET": "1"}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "push", *args],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_push_with_login_cache_token(hub: FakeHub, dataset: Path, tmp_path: Path) -> None:
    home = tmp_path / "hf-home"
    home.mkdir()
    (home / "token").write_text(WRITE_TOKEN)  # what `hf auth login` writes

    args = ["--repo-id", REPO, "--root", str(dataset), "--endpoint", hub.endpoint, "--private"]
    args += ["--tag", "so101", "--tag", "sim", "--license", "mit"]
    proc = run_cli(args, tmp_path=tmp_path, env={})

    assert proc.returncode == 0, proc.stderr
    assert f"Pushed {REPO}" in proc.stdout
    assert f"{hub.endpoint}/datasets/{REPO}" in proc.stdout
    assert "uploading" in proc.stderr and "\r" not in proc.stderr, "plain lines when not a TTY"
    assert WRITE_TOKEN not in proc.stdout + proc.stderr
    repo = hub.repo(REPO)
    assert repo.private and "v3.0" in repo.tags
    files = hub.files_at(REPO, "v3.0")
    assert all(files[p] == b for p, b in dataset_files(dataset).items())
    card = files["README.md"].decode()
    assert "license: mit" in card and "- so101" in card and "- sim" in card

    again = run_cli(args, tmp_path=tmp_path, env={})  # nothing changed: nothing to send
    assert again.returncode == 0, again.stderr
    assert "0 files (0 B) uploaded" in again.stdout


def test_cli_default_root_is_under_hf_lerobot_home(
    hub: FakeHub, dataset: Path, tmp_path: Path
) -> None:
    # The fixture's dataset lives at <tmp>/datasets/alice/pick_orange.
    env = {"HF_TOKEN": WRITE_TOKEN, "HF_LEROBOT_HOME": str(tmp_path / "datasets")}
    proc = run_cli(["--repo-id", REPO, "--endpoint", hub.endpoint], tmp_path=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "v3.0" in hub.repo(REPO).tags


def test_cli_without_token_fails_with_one_line(hub: FakeHub, dataset: Path, tmp_path: Path) -> None:
    proc = run_cli(
        ["--repo-id", REPO, "--root", str(dataset), "--endpoint", hub.endpoint],
        tmp_path=tmp_path,
        env={},
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No Hugging Face token"), proc.stderr
    assert not hub.state.request_counts


def test_cli_bad_token_and_bad_repo_id(hub: FakeHub, dataset: Path, tmp_path: Path) -> None:
    bad = "hf_WrongTokenValue0123456789abcdefABCD"
    proc = run_cli(
        ["--repo-id", REPO, "--root", str(dataset), "--endpoint", hub.endpoint],
        tmp_path=tmp_path,
        env={"HF_TOKEN": bad},
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: The Hub at")
    assert bad not in proc.stdout + proc.stderr

    proc = run_cli(
        ["--repo-id", str(dataset), "--endpoint", hub.endpoint],
        tmp_path=tmp_path,
        env={"HF_TOKEN": bad},
    )
    assert proc.returncode == 1
    assert "error: Invalid repo id" in proc.stderr and "--root" in proc.stderr


def test_cli_progress_is_one_rewritten_line_on_a_terminal(
    hub: FakeHub, dataset: Path, tmp_path: Path
) -> None:
    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env = base | {
        "HF_HOME": str(tmp_path / "h"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_TOKEN": WRITE_TOKEN,
    }
    args = ["--repo-id", REPO, "--root", str(dataset), "--endpoint", hub.endpoint]
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "push", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    terminal = b"".join(chunks).decode()

    assert proc.returncode == 0, terminal
    assert "\r\x1b[Kuploading" in terminal, "the progress line is rewritten in place"
    assert WRITE_TOKEN not in terminal
